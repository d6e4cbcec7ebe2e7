"""Engine conventions shared by the domains' stores (SQLite and PostgreSQL).

Bulk writes are ``core/bulk.py`` (COPY on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

INSERT_CHUNK = 5_000


def create_store_engine(url: str) -> Engine:
    """An engine with the platform's conventions: SQLite in WAL mode with a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the UI, the service and a run read while a run writes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MB of page cache instead of 2 MB: a sync's prediction table and its two indexes
    # outgrow the default within a season, and 600,000 upserts then took 7.1 s, 5.4 s here.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def dialect_insert(engine: Engine | Connection, table: Table):
    """``INSERT`` of the engine's dialect, which offers ``on_conflict_do_nothing/update``."""
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


def chunks(rows: Sequence, size: int = INSERT_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


__all__ = ["chunks", "create_store_engine", "dialect_insert"]
