"""One quarantine for every domain: ``quarantine`` (with a ``domain`` column) replaces ``shots_quarantine``,
``free_throws_quarantine`` and ``free_throw_game_quarantine``; their rows move into it, in their order.

The domain names are the ones the stores write (``shots``, ``free_throws``); a game record keeps its
season, game, kind and payload (as ``raw``), its payload hash as ``row_hash`` and the source ``sync``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TEXT, _AT = sa.Text(), sa.DateTime(timezone=True)
# Each table as (column, type, nullable) after its autoincrement id, then its unique columns.
_QUARANTINE = (
    [("domain", sa.String(32), False), ("kind", sa.String(32), False), ("row_hash", sa.String(64), False),
     ("source", sa.String(256), False), ("line", sa.Integer(), True), ("season", sa.Integer(), True),
     ("game_id", sa.BigInteger(), True), ("reason", _TEXT, False), ("raw", _TEXT, False),
     ("quarantined_at", _AT, False)],
    ("domain", "kind", "row_hash"),
)  # fmt: skip
_ROWS = (
    [("row_hash", sa.String(16), False), ("source", sa.String(256), False), ("line", sa.Integer(), True),
     ("reason", _TEXT, False), ("raw", _TEXT, False), ("quarantined_at", _AT, False)],
    ("row_hash",),
)  # fmt: skip
_GAMES = (
    [("season", sa.Integer(), True), ("game_id", sa.BigInteger(), False), ("kind", sa.String(32), False),
     ("reason", _TEXT, False), ("payload_hash", sa.String(64), False), ("payload", _TEXT, False),
     ("quarantined_at", _AT, False)],
    ("payload_hash",),
)  # fmt: skip
_NEW = "domain, kind, row_hash, source, line, season, game_id, reason, raw, quarantined_at"
# Each old table: its definition, and its rows as rows of the new table (moved in id order, so the
# listing keeps its order), then the other way for the downgrade.
_OLD = {
    "shots_quarantine": (
        _ROWS,
        "'shots', 'row', row_hash, source, line, NULL, NULL, reason, raw, quarantined_at",
        "domain = 'shots' AND kind = 'row'",
    ),
    "free_throws_quarantine": (
        _ROWS,
        "'free_throws', 'row', row_hash, source, line, NULL, NULL, reason, raw, quarantined_at",
        "domain = 'free_throws' AND kind = 'row'",
    ),
    "free_throw_game_quarantine": (
        _GAMES,
        "'free_throws', kind, payload_hash, 'sync', NULL, season, game_id, reason, payload, quarantined_at",
        "domain = 'free_throws' AND kind <> 'row'",
    ),
}


def _create(name: str, spec: tuple[list, tuple[str, ...]], unique_name: str | None = None) -> None:
    columns, unique = spec
    op.create_table(
        name,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        *(sa.Column(column, kind, nullable=nullable) for column, kind, nullable in columns),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique, name=unique_name),
    )


def _columns(spec: tuple[list, tuple[str, ...]]) -> str:
    return ", ".join(column for column, _, _ in spec[0])


def upgrade() -> None:
    _create("quarantine", _QUARANTINE, "uq_quarantine_record")
    for table, (_, values, _) in _OLD.items():
        op.execute(f"INSERT INTO quarantine ({_NEW}) SELECT {values} FROM {table} ORDER BY id")
        op.drop_table(table)


def downgrade() -> None:
    """Back to the three tables; records of other domains (none before 0002) have nowhere to go and are dropped."""
    for table, (spec, _, which) in _OLD.items():
        _create(table, spec)
        names = _columns(spec)
        # The new table's columns in the old table's order (a game's payload hash and payload are row_hash, raw).
        values = names.replace("payload_hash", "row_hash").replace("payload,", "raw,")
        op.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM quarantine WHERE {which} ORDER BY id")
    op.drop_table("quarantine")
