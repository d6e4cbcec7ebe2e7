"""The Dagster code location: assembles every domain's assets, checks, resources, jobs and sensors.

Like Dagster's project_fully_featured, each domain keeps its assets in one package, loaded here
with its group name. Nothing here imports TensorFlow (tested): the shot domain and the UI do not
pay for it; only the score_beater model module imports it, when a run needs it.
"""

from __future__ import annotations

from dagster import (
    Definitions,
    load_asset_checks_from_modules,
    load_asset_checks_from_package_module,
    load_assets_from_modules,
    load_assets_from_package_module,
)

from shot_platform.core.resources import ModelStoreResource, ShotStoreResource
from shot_platform.core.settings import Settings
from shot_platform.free_throws import assets as free_throw_assets
from shot_platform.free_throws import checks as free_throw_checks
from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.shots.assets import player_features, raw_shots, shot_ground_truth, shot_model, shot_predictions
from shot_platform.shots.checks import raw_shots as raw_shots_checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.sensors import retrain_on_new_shots

ASSET_MODULES = [raw_shots, player_features, shot_model, shot_predictions, shot_ground_truth]
shot_assets = load_assets_from_modules(ASSET_MODULES)
free_throws_assets = load_assets_from_package_module(free_throw_assets, group_name="free_throws")
all_assets = [*shot_assets, *free_throws_assets]
shot_checks = load_asset_checks_from_modules([raw_shots_checks])
free_throws_checks = load_asset_checks_from_package_module(free_throw_checks)
all_checks = [*shot_checks, *free_throws_checks]


def default_resources(settings: Settings | None = None) -> dict:
    """Resources for the environment's settings (embedded SQLite and local disk by default)."""
    settings = settings or Settings.from_env()
    return {
        "shot_store": ShotStoreResource(database_url=settings.database_url),
        "free_throw_store": FreeThrowStoreResource(database_url=settings.database_url),
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
