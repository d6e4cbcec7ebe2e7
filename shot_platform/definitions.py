"""The Dagster code location: assets, checks, resources (and later sensors, schedules)."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from shot_platform.core.resources import ModelStoreResource, ShotStoreResource
from shot_platform.core.settings import Settings
from shot_platform.shots.assets import player_features, raw_shots, shot_ground_truth, shot_model, shot_predictions
from shot_platform.shots.checks import raw_shots as raw_shots_checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.sensors import retrain_on_new_shots

ASSET_MODULES = [raw_shots, player_features, shot_model, shot_predictions, shot_ground_truth]
all_assets = load_assets_from_modules(ASSET_MODULES)
all_checks = load_asset_checks_from_modules([raw_shots_checks])


def default_resources(settings: Settings | None = None) -> dict:
    """Resources for the environment's settings (embedded SQLite and local disk by default)."""
    settings = settings or Settings.from_env()
    return {
        "shot_store": ShotStoreResource(database_url=settings.database_url),
        "model_store": ModelStoreResource(location=settings.model_store, s3_endpoint_url=settings.s3_endpoint_url),
    }


defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[retrain_job],
    schedules=[daily_retrain_schedule],
    sensors=[retrain_on_new_shots],
    resources=default_resources(),
)
