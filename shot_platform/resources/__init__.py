"""Dagster resources: the shot store and the model store."""

from dagster import ConfigurableResource

from shot_platform.models.blobs import LocalBlobStore
from shot_platform.models.model_store import ModelStore
from shot_platform.store import ShotStore


class ShotStoreResource(ConfigurableResource):
    """The relational store (SQLite file by default, PostgreSQL by URL)."""

    database_url: str

    def get(self) -> ShotStore:
        store = ShotStore(self.database_url)
        store.create_schema()
        return store


class ModelStoreResource(ConfigurableResource):
    """Model versions and the champion pointer, in a local directory."""

    directory: str
    model_name: str = "shot_model"

    def get(self) -> ModelStore:
        return ModelStore(LocalBlobStore(self.directory), self.model_name)
