"""One sync at a time per store: a PostgreSQL advisory lock, or a file lock beside a SQLite file.

Two syncs on one store would both process the next game (the loser fails on the ledger's key, or on
a fresh PostgreSQL database on creating a table). The lock is taken before the schema is created
and held until the sync returns; the second sync is told that one is running, and exits.
The operating system releases both kinds when the process dies (a killed sync leaves no stale lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

# pg_try_advisory_lock key: any constant the platform uses for nothing else ("ftsync" in ASCII).
ADVISORY_KEY = 0x667473796E63


class SyncRunning(RuntimeError):
    """Another sync holds this store's lock."""


def _message(where: str) -> str:
    return f"a free-throw sync is already running on this store ({where}): wait for it to finish, then sync again"


@contextlib.contextmanager
def sync_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's sync lock for the block; raises ``SyncRunning`` at once when it is taken."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar_one():
                raise SyncRunning(_message(f"PostgreSQL advisory lock {ADVISORY_KEY}"))
            conn.commit()  # the session lock outlives the transaction; don't hold a transaction open
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                    conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # an in-memory database is this process's own
        return
    path = Path(f"{database}.sync-lock")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncRunning(_message(f"lock file {path}")) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


__all__ = ["SyncRunning", "sync_lock"]
