"""The Dagster resource of the free-throw store."""

from __future__ import annotations

import functools

from dagster import ConfigurableResource

from shot_platform.free_throws.store import FreeThrowStore


class FreeThrowStoreResource(ConfigurableResource):
    """The free-throw tables, in the platform's database (SQLite file by default, PostgreSQL by URL)."""

    database_url: str

    def get(self) -> FreeThrowStore:
        return shared_free_throw_store(self.database_url)


@functools.lru_cache(maxsize=16)
def shared_free_throw_store(database_url: str) -> FreeThrowStore:
    """One store (engine and connection pool) per URL per process, as for the shot store."""
    store = FreeThrowStore(database_url)
    store.create_schema()
    return store
