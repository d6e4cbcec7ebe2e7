"""The Dagster resource of the free-throw store."""

from __future__ import annotations

import functools

from dagster import ConfigurableResource

from shot_platform.core.saved_model_store import SavedModelStore, open_saved_model_store
from shot_platform.core.settings import Settings
from shot_platform.free_throws.store import FreeThrowStore


class FreeThrowStoreResource(ConfigurableResource):
    """The free-throw tables, in the platform's database (SQLite file by default, PostgreSQL by URL).

    An empty ``database_url`` means the embedded default, resolved when the resource is used (as for
    the shot store: the URL is given through ``EnvVar`` so that a password never shows in the UI).
    """

    database_url: str = ""

    def get(self) -> FreeThrowStore:
        return shared_free_throw_store(self.database_url or Settings.from_env().database_url)


@functools.lru_cache(maxsize=16)
def shared_free_throw_store(database_url: str) -> FreeThrowStore:
    """One store (engine and connection pool) per URL per process, as for the shot store."""
    store = FreeThrowStore(database_url)
    store.create_schema()
    return store


@functools.lru_cache(maxsize=16)
def score_beater_registry(location: str, s3_endpoint_url: str | None) -> SavedModelStore:
    """The score_beater versions (TF Serving layout) in the model store, one per location per process."""
    return open_saved_model_store(location, s3_endpoint_url, "score_beater")
