"""The one quarantine of every domain: what was refused, why, and the raw text as received.

One table, ``quarantine``, with a ``domain`` column. A record is either a row of a file or a
request body (kind ``row``, with its source and line) or a domain's own record of something larger
it refused (a game of a sync: a kind of the domain's, such as ``corrected_result``, with the
season and game). The same record is kept once: ``row_hash`` identifies it within its domain and kind (the
ingest's hash of the row, the sync's hash of the payload). Reason and raw text are stored as
``storable.storable_text`` makes them, for every record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from shot_platform.core.bulk import insert_new_rows
from shot_platform.core.database import create_store_engine, dialect_insert
from shot_platform.core.ingest.storable import storable_record
from shot_platform.core.schema_migrations import upgrade

ROW = "row"  # the kind of a refused row of a file or a request body

metadata = sa.MetaData()

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("domain", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
    sa.Column("source", sa.String(256), nullable=False),
    sa.Column("line", sa.Integer),  # a row's line in its file (its position in a request body)
    sa.Column("season", sa.Integer),  # a game record's season (start year)
    sa.Column("game_id", sa.BigInteger),  # a game record's game
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("domain", "kind", "row_hash", name="uq_quarantine_record"),
)


def add_rows(conn: Connection, domain: str, rows: pd.DataFrame) -> int:
    """Keep refused rows (row_hash, source, line, reason, raw) in the caller's transaction;
    returns how many were not kept before."""
    if rows.empty:
        return 0
    stored = [storable_record(str(reason), str(raw)) for reason, raw in zip(rows["reason"], rows["raw"], strict=True)]
    frame = pd.DataFrame(
        {
            "domain": domain,
            "kind": ROW,
            "row_hash": rows["row_hash"].to_numpy(),
            "source": rows["source"].to_numpy(),
            "line": rows["line"].to_numpy(),
            "reason": [reason for reason, _ in stored],
            "raw": [raw for _, raw in stored],
            "quarantined_at": dt.datetime.now(dt.UTC),
        }
    )
    return insert_new_rows(conn, quarantine, frame, ["domain", "kind", "row_hash"])


def add_record(
    conn: Connection,
    domain: str,
    *,
    kind: str,
    row_hash: str,
    source: str,
    reason: str,
    raw: str,
    season: int | None = None,
    game_id: int | None = None,
) -> int:
    """Keep one record of a domain's own kind once (by ``row_hash``); returns 1 when it was new."""
    stored_reason, stored_raw = storable_record(reason, raw)
    statement = dialect_insert(conn, quarantine).on_conflict_do_nothing(index_elements=["domain", "kind", "row_hash"])
    values = {
        "domain": domain,
        "kind": kind,
        "row_hash": row_hash,
        "source": source,
        "season": season,
        "game_id": game_id,
        "reason": stored_reason,
        "raw": stored_raw,
        "quarantined_at": dt.datetime.now(dt.UTC),
    }
    return int(conn.execute(statement, values).rowcount or 0)


def _of(domain: str, kinds: Sequence[str] | None, other_kinds: Sequence[str] = ()):
    query = quarantine.c.domain == domain
    if kinds is not None:
        query &= quarantine.c.kind.in_(list(kinds))
    if other_kinds:
        query &= quarantine.c.kind.not_in(list(other_kinds))
    return query


def load(
    conn: Connection, domain: str, kinds: Sequence[str] | None = None, other_kinds: Sequence[str] = ()
) -> pd.DataFrame:
    """The domain's records of ``kinds`` (default: all) and not of ``other_kinds``, oldest first."""
    return pd.read_sql(select(quarantine).where(_of(domain, kinds, other_kinds)).order_by(quarantine.c.id), conn)


def count(conn: Connection, domain: str, kinds: Sequence[str] | None = None) -> int:
    return int(conn.execute(select(func.count()).select_from(quarantine).where(_of(domain, kinds))).scalar_one())


def describe(record: pd.Series) -> str:
    """One line of the listing: where a row came from, or which game a record is about."""
    if record["kind"] == ROW:
        line = "" if pd.isna(record["line"]) else f":{int(record['line'])}"
        return f"{record['source']}{line}: {record['reason']}"
    season = "" if pd.isna(record["season"]) else f" of season {int(record['season'])}"
    return f"{record['source']}: game {int(record['game_id'])}{season} ({record['kind']}): {record['reason']}"


def listing(database_url: str, domain: str, limit: int) -> list[str]:
    """The domain's quarantine (its CLI name or its name: ``-`` or ``_``) as the CLI prints it: the count,
    then the first ``limit`` records, rows and the domain's own records (the sync's games) alike."""
    name = domain.replace("-", "_")
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            total = count(conn, name)
            query = select(quarantine).where(_of(name, None)).order_by(quarantine.c.id).limit(limit)
            shown = pd.read_sql(query, conn)
    finally:
        engine.dispose()
    return [f"{total} quarantined rows", *(describe(record) for _, record in shown.iterrows())]


__all__ = ["ROW", "add_record", "add_rows", "count", "describe", "listing", "load", "metadata", "quarantine"]
