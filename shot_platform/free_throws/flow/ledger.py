"""The processed-games ledger and the game quarantine of the game-by-game flow.

A game is recorded in ``free_throw_processed_games`` in the same transaction as its effects (events,
counts, features, labels, predictions), so a sync killed at any point either did a game entirely
or not at all; the next sync resumes after the last recorded game. A game that cannot be used (a
box score breaking a rule, an id the API does not know, a result that changed after it was
processed) goes to ``free_throw_game_quarantine`` with its reason and the payload as received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    select,
    tuple_,
)

from shot_platform.core.database import dialect_insert
from shot_platform.core.schema_migrations import upgrade
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.store.tables import metadata

PROCESSED = "processed"
QUARANTINED = "quarantined"

processed_games = Table(
    "free_throw_processed_games",
    metadata,
    Column("season", Integer, primary_key=True),
    Column("game_id", BigInteger, primary_key=True),
    Column("postseason", Boolean, nullable=False),
    Column("game_number", Integer),  # position in the regular-season schedule; null for other games
    Column("status", String(16), nullable=False),  # processed | quarantined
    Column("box_hash", String(64), nullable=False),  # sha256 of the box score as used: a later change is a conflict
    Column("attempts", Integer, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    # The provider's updated_at of the result as used (ISO 8601, UTC; null when the provider has none),
    # or of its latest correction once reported: a later one is a change to look at (``corrections.py``).
    Column("updated_at", String(40)),
)

# What the flow remembers between syncs beside the ledger: the corrections feed's watermark.
flow_state = Table(
    "free_throw_flow_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

game_quarantine = Table(
    "free_throw_game_quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("season", Integer),
    Column("game_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),  # invalid_box_score | unknown_game | corrected_result
    Column("reason", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False, unique=True),  # the same problem is recorded once
    Column("payload", Text, nullable=False),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
)


def payload_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def ensure_schema(store: FreeThrowStore) -> None:
    upgrade(store.engine)


def iso(value: dt.datetime | None) -> str | None:
    """The ledger's text of a provider time: ISO 8601 in UTC to the microsecond (compared as text)."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value is not None else None


def read_state(conn: Connection, name: str) -> str | None:
    return conn.execute(select(flow_state.c.value).where(flow_state.c.name == name)).scalar_one_or_none()


def write_state(conn: Connection, name: str, value: str) -> None:
    statement = dialect_insert(conn, flow_state)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"value": statement.excluded.value}),
        {"name": name, "value": value},
    )


def last_processed(conn: Connection) -> tuple[int, int] | None:
    """(season, game_id) of the last recorded game in the API's order, or None before the first."""
    row = conn.execute(
        select(processed_games.c.season, processed_games.c.game_id)
        .order_by(processed_games.c.season.desc(), processed_games.c.game_id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def recorded(conn: Connection, season: int, game_id: int) -> dict | None:
    row = conn.execute(
        select(processed_games).where(
            tuple_(processed_games.c.season, processed_games.c.game_id) == tuple_(season, game_id)
        )
    ).first()
    return dict(row._mapping) if row else None


def record_game(
    conn: Connection,
    *,
    season: int,
    game_id: int,
    postseason: bool,
    game_number: int | None,
    status: str,
    box_hash: str,
    attempts: int,
    updated_at: str | None = None,
) -> None:
    conn.execute(
        processed_games.insert().values(
            season=season,
            game_id=game_id,
            postseason=postseason,
            game_number=game_number,
            status=status,
            box_hash=box_hash,
            attempts=attempts,
            processed_at=dt.datetime.now(dt.UTC),
            updated_at=updated_at,
        )
    )


def quarantine_game(conn: Connection, *, season: int | None, game_id: int, kind: str, reason: str, payload: str) -> int:
    """Record a game-level problem once (by payload, kind and reason); returns 1 when it was new."""
    statement = dialect_insert(conn, game_quarantine).on_conflict_do_nothing(index_elements=["payload_hash"])
    result = conn.execute(
        statement,
        {
            "season": season,
            "game_id": game_id,
            "kind": kind,
            "reason": reason,
            "payload_hash": payload_hash(game_id, kind, reason, payload),
            "payload": payload,
            "quarantined_at": dt.datetime.now(dt.UTC),
        },
    )
    return int(result.rowcount or 0)


__all__ = [
    "PROCESSED",
    "QUARANTINED",
    "ensure_schema",
    "flow_state",
    "game_quarantine",
    "iso",
    "last_processed",
    "payload_hash",
    "processed_games",
    "quarantine_game",
    "read_state",
    "record_game",
    "recorded",
    "write_state",
]
