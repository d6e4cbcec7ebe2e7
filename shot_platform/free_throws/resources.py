"""Dagster resources of the free-throw domain: its store, the score_beater registry, the Scores API, the
flow's scorer and the retraining threshold."""

from __future__ import annotations

import functools

from dagster import ConfigurableResource
from pydantic import Field

from shot_platform.core.resources import ModelStoreResource
from shot_platform.core.saved_model_store import SavedModelStore, open_saved_model_store
from shot_platform.core.scorer import Scorer
from shot_platform.core.settings import Settings, configured
from shot_platform.free_throws.scores_api.client import URL_ENV
from shot_platform.free_throws.scores_api.resource import ScoresApiResource, scores_api_from_env
from shot_platform.free_throws.serving.champion import MODEL_NAME
from shot_platform.free_throws.settings import RETRAIN_LABELS_ENV, FreeThrowSettings
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


class ScoreBeaterModelsResource(ModelStoreResource):
    """score_beater's versions and champion pointer (SavedModel directories in TF Serving's layout), at
    ``location`` (the embedded default when unset): the free-throw domain's own registry resource."""

    def model_name(self) -> str:
        return MODEL_NAME

    def get(self) -> SavedModelStore:
        return score_beater_registry(self.resolved_location(), self.s3_endpoint_url or None)


@functools.lru_cache(maxsize=16)
def score_beater_registry(location: str, s3_endpoint_url: str | None) -> SavedModelStore:
    """The score_beater versions (TF Serving layout) in the model store, one per location per process."""
    return open_saved_model_store(location, s3_endpoint_url, MODEL_NAME)


class ScoreBeaterRetrainingResource(ConfigurableResource):
    """When ``score_beater_labels_sensor`` requests a retraining run. The code location sets the value
    from the environment so that the UI shows it on the resource's page; unset means the environment's
    value when the sensor ticks."""

    min_new_labels: int | None = Field(
        default=None,
        ge=0,
        description=(
            f"labelled player-seasons the champion has not trained on before retraining (${RETRAIN_LABELS_ENV})"
        ),
    )

    def threshold(self) -> int:
        if self.min_new_labels is not None:
            return self.min_new_labels
        return FreeThrowSettings.from_env().retrain_min_new_labels


class ScoreBeaterScorerResource(ConfigurableResource):
    """Who computes the flow's score_beater probabilities. By default nobody is injected and the sync
    engine opens its own: the champion SavedModel in the run's process, or the service's TF Serving
    REST endpoint when ``SHOT_PLATFORM_SCORE_BEATER_URL`` is set. Tests and demos override
    :meth:`get` to score with another model."""

    def get(self) -> Scorer | None:
        return None


def scores_api_resource() -> ScoresApiResource:
    """The Scores API of the environment (``SHOT_PLATFORM_SCORES_API_URL``, optional key).

    Without the variable the resource still loads (every other asset must run without a provider):
    asking it for a client then fails with the client's own message naming the variable, and the
    sensor and the ``free_throw_games`` asset report "no Scores API configured" instead of failing.
    """
    if configured(URL_ENV):
        return scores_api_from_env()
    return ScoresApiResource(base_url="")
