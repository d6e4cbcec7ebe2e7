"""Bringing a store's schema to the current revision: the one way tables are created or altered.

The history lives in ``shot_platform/migrations`` (Alembic). ``upgrade`` is cheap when the store is
current (one query for its revision, once per engine), so every entry point calls it: the CLI, the
Dagster resources, the service's start-up, the sync. Two processes upgrading one store at once are
serialised (``core/store_lock.py``): the second waits, then finds the store current and does nothing.
"""

from __future__ import annotations

import functools
import weakref

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from shot_platform.core.store_lock import store_lock

SCRIPT_LOCATION = "shot_platform:migrations"
# Any fixed 64-bit key: PostgreSQL advisory locks are per database, so it only has to differ from the
# platform's other advisory locks.
ADVISORY_LOCK_KEY = 0x5307_0001
LOCK_TIMEOUT_S = 120

_current: weakref.WeakSet[Engine] = weakref.WeakSet()


class SchemaError(RuntimeError):
    """The store's schema cannot be brought to the current revision (the message says what to do)."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaError("the migration history is empty: reinstall shot_platform")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Run every revision the store has not had yet; a no-op when it is current."""
    if engine in _current:
        return
    if current_revision(engine) != head_revision():
        with store_lock(engine, ADVISORY_LOCK_KEY, ".migrate.lock", wait_s=LOCK_TIMEOUT_S), engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
    _current.add(engine)


__all__ = ["SchemaError", "current_revision", "head_revision", "upgrade"]
