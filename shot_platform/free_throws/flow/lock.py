"""One sync at a time per store: a PostgreSQL advisory lock, or a file lock beside a SQLite file.

Two syncs on one store would both process the next game (the loser fails on the ledger's key, or on
a fresh PostgreSQL database on creating a table). The lock is taken before the schema is created
and held until the sync returns; the second sync is told that one is running, and exits.
The operating system releases both kinds when the process dies (a killed sync leaves no stale lock).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from shot_platform.core.store_lock import LockHeld, store_lock

# pg_try_advisory_lock key: any constant the platform uses for nothing else ("ftsync" in ASCII).
ADVISORY_KEY = 0x667473796E63


class SyncRunning(RuntimeError):
    """Another sync holds this store's lock."""


@contextlib.contextmanager
def sync_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's sync lock for the block; raises ``SyncRunning`` at once when it is taken."""
    with contextlib.ExitStack() as held_lock:
        try:
            held_lock.enter_context(store_lock(engine, ADVISORY_KEY, ".sync-lock"))
        except LockHeld as held:
            raise SyncRunning(
                f"a free-throw sync is already running on this store ({held.where}): wait for it to finish, "
                "then sync again"
            ) from None
        yield


__all__ = ["SyncRunning", "sync_lock"]
