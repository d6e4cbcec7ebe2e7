"""Dagster resources shared by every domain: the model store (one per model name and artifact format)."""

from __future__ import annotations

import functools

from dagster import ConfigurableResource

from shot_platform.core.model_store import ArtifactFormat, ModelStore, open_model_store


class ModelStoreResource(ConfigurableResource):
    """Model versions and the champion pointer: a local directory, or ``s3://bucket/prefix``
    (S3 or MinIO through dagster-aws's S3 resource, with ``s3_endpoint_url``).

    A domain subclasses it to name its model and artifact format. An empty
    ``location`` means the embedded default (``$SHOT_PLATFORM_HOME/models``),
    resolved when the resource is used, so `dg dev` needs no variable set.
    """

    location: str = ""
    s3_endpoint_url: str = ""

    def model_name(self) -> str:
        raise NotImplementedError("a domain's model-store resource names its model")

    def artifact_format(self) -> ArtifactFormat:
        raise NotImplementedError("a domain's model-store resource names its artifact format")

    def resolved_location(self) -> str:
        """The configured location, or the embedded default when none is set."""
        from shot_platform.core.settings import Settings

        return self.location or Settings.from_env().model_store

    def get(self) -> ModelStore:
        location = self.resolved_location()
        return shared_model_store(location, self.s3_endpoint_url or None, self.model_name(), self.artifact_format())


@functools.lru_cache(maxsize=16)
def shared_model_store(
    location: str, s3_endpoint_url: str | None, model_name: str, artifact: ArtifactFormat
) -> ModelStore:
    """One model store (and S3 client) per location per process."""
    return open_model_store(location, model_name, artifact, s3_endpoint_url)
