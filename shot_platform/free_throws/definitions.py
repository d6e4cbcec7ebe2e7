"""The free-throw domain's Dagster definitions: its assets and checks (group ``free_throws``), the Scores
API as an external asset, the sync
and retraining jobs and their sensors, and its own resources (store, ``score_beater_models`` registry,
Scores API, the flow's scorer, retraining threshold)."""

from __future__ import annotations

from dagster import AssetsDefinition, Definitions

from shot_platform.core.domain_definitions import domain_definitions, store_resources
from shot_platform.free_throws import assets, checks
from shot_platform.free_throws.assets.flow_tables import SCORES_API
from shot_platform.free_throws.flow.sync import retrain_threshold
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterRetrainingResource,
    ScoreBeaterScorerResource,
    scores_api_resource,
)
from shot_platform.free_throws.sensors import free_throw_games_sensor, score_beater_labels_sensor


def resources() -> dict[str, object]:
    """The domain's resources: secrets and locations through ``EnvVar``; the threshold by value, so the
    UI shows it."""
    return {
        **store_resources("free_throw_store", FreeThrowStoreResource, "score_beater_models", ScoreBeaterModelsResource),
        "score_beater_retraining": ScoreBeaterRetrainingResource(min_new_labels=retrain_threshold()),
        "scores_api": scores_api_resource(),
        "score_beater_scorer": ScoreBeaterScorerResource(),
    }


defs = Definitions.merge(
    domain_definitions(
        "free_throws",
        assets,
        checks,
        resources(),
        jobs=[free_throw_games_job, retrain_score_beater_job],
        sensors=[free_throw_games_sensor, score_beater_labels_sensor],
    ),
    Definitions(assets=[AssetsDefinition(specs=[SCORES_API])]),  # external: in the graph, never materialised
)
