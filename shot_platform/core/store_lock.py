"""One named lock per store, for work that must not run twice at once on it (a sync, a schema upgrade).

PostgreSQL: a session advisory lock (per database, so every process using the store sees it). SQLite: an
``flock`` on a file beside the database (per open file, so two holders in one process exclude each
other too). The operating system or the server releases both when the process dies: a killed holder
leaves no stale lock. An in-memory SQLite database belongs to its process and needs none.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

POLL_S = 0.1


class LockHeld(RuntimeError):
    """Another holder has the lock (at once, or still after the wait); ``where`` names the lock."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@contextlib.contextmanager
def store_lock(engine: Engine, key: int, file_suffix: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the store's lock ``key`` (PostgreSQL) or ``<database><file_suffix>`` (SQLite) for the block.

    ``wait_s`` 0: raise :class:`LockHeld` at once when it is taken; otherwise wait up to that long."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            where = f"PostgreSQL advisory lock {key}"
            if wait_s > 0:
                conn.execute(text(f"SET lock_timeout = '{int(wait_s * 1000)}ms'"))
                try:
                    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                except OperationalError as error:
                    raise LockHeld(where) from error
            elif not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one():
                raise LockHeld(where)
            conn.commit()  # the session lock outlives the transaction; don't hold a transaction open
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}{file_suffix}")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(f"lock file {path}") from None
                time.sleep(POLL_S)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


__all__ = ["LockHeld", "store_lock"]
