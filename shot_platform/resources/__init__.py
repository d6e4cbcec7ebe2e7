"""Dagster resources: the shot store and the model store."""

from dagster import ConfigurableResource

from shot_platform.models.model_store import ModelStore, open_model_store
from shot_platform.store import ShotStore


class ShotStoreResource(ConfigurableResource):
    """The relational store (SQLite file by default, PostgreSQL by URL)."""

    database_url: str

    def get(self) -> ShotStore:
        store = ShotStore(self.database_url)
        store.create_schema()
        return store


class ModelStoreResource(ConfigurableResource):
    """Model versions and the champion pointer: a local directory, or ``s3://bucket/prefix``
    (S3 or MinIO through dagster-aws's S3 resource, with ``s3_endpoint_url``)."""

    location: str
    s3_endpoint_url: str | None = None
    model_name: str = "shot_model"

    def get(self) -> ModelStore:
        return open_model_store(self.location, self.s3_endpoint_url, self.model_name)
