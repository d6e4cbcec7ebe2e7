"""Dagster resources: the shot store and the model store."""

import functools

from dagster import ConfigurableResource

from shot_platform.core.model_store import ModelStore, open_model_store
from shot_platform.shots.store import ShotStore


class ShotStoreResource(ConfigurableResource):
    """The relational store (SQLite file by default, PostgreSQL by URL)."""

    database_url: str

    def get(self) -> ShotStore:
        return shared_shot_store(self.database_url)


class ModelStoreResource(ConfigurableResource):
    """Model versions and the champion pointer: a local directory, or ``s3://bucket/prefix``
    (S3 or MinIO through dagster-aws's S3 resource, with ``s3_endpoint_url``)."""

    location: str
    s3_endpoint_url: str | None = None
    model_name: str = "shot_model"

    def get(self) -> ModelStore:
        return shared_model_store(self.location, self.s3_endpoint_url, self.model_name)


@functools.lru_cache(maxsize=16)
def shared_shot_store(database_url: str) -> ShotStore:
    """One store (engine and connection pool) per URL per process.

    The code location evaluates the sensor every minute for days: a new engine
    per tick would leave pools of idle PostgreSQL connections behind.
    """
    store = ShotStore(database_url)
    store.create_schema()
    return store


@functools.lru_cache(maxsize=16)
def shared_model_store(location: str, s3_endpoint_url: str | None, model_name: str) -> ModelStore:
    """One model store (and S3 client) per location per process."""
    return open_model_store(location, s3_endpoint_url, model_name)
