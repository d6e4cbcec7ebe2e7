"""The shot domain's Dagster resources: its relational store, its model registry, its retraining threshold."""

from __future__ import annotations

import functools

from dagster import ConfigurableResource
from pydantic import Field

from shot_platform.core.model_store import ArtifactFormat
from shot_platform.core.resources import ModelStoreResource
from shot_platform.core.settings import Settings
from shot_platform.shots.models.artifact import SHOT_MODEL_FORMAT
from shot_platform.shots.models.registry import SHOT_MODEL
from shot_platform.shots.settings import RETRAIN_THRESHOLD_ENV, ShotSettings
from shot_platform.shots.store import ShotStore


class ShotStoreResource(ConfigurableResource):
    """The relational store (SQLite file by default, PostgreSQL by URL).

    An empty ``database_url`` means the embedded default (SQLite under
    ``$SHOT_PLATFORM_HOME``), resolved when the resource is used.
    """

    database_url: str = ""

    def get(self) -> ShotStore:
        return shared_shot_store(self.database_url or Settings.from_env().database_url)


class ShotModelStoreResource(ModelStoreResource):
    """The shot model's versions and champion pointer (joblib artifacts)."""

    def model_name(self) -> str:
        return SHOT_MODEL

    def artifact_format(self) -> ArtifactFormat:
        return SHOT_MODEL_FORMAT


class ShotRetrainingResource(ConfigurableResource):
    """When ``retrain_on_new_shots`` requests a retraining run. The code location sets the value from
    the settings so that the UI shows it on the resource's page; unset means the settings' value when
    the sensor ticks."""

    min_new_shots: int | None = Field(
        default=None,
        ge=0,
        description=f"new labelled shots since the champion's data before retraining (${RETRAIN_THRESHOLD_ENV})",
    )

    def threshold(self) -> int:
        return self.min_new_shots if self.min_new_shots is not None else ShotSettings.from_env().retrain_min_new_shots


@functools.lru_cache(maxsize=16)
def shared_shot_store(database_url: str) -> ShotStore:
    """One store (engine and connection pool) per URL per process.

    The code location evaluates the sensor every minute for days: a new engine
    per tick would leave pools of idle PostgreSQL connections behind.
    """
    store = ShotStore(database_url)
    store.create_schema()
    return store
