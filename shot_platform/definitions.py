"""The Dagster code location: assets, checks, resources (and later sensors, schedules)."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, load_asset_checks_from_modules, load_assets_from_modules

from shot_platform.core.settings import DATABASE_URL_ENV, MODEL_STORE_ENV, S3_ENDPOINT_ENV, Settings
from shot_platform.shots.assets import player_features, raw_shots, shot_ground_truth, shot_model, shot_predictions
from shot_platform.shots.checks import raw_shots as raw_shots_checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource
from shot_platform.shots.sensors import retrain_on_new_shots

ASSET_MODULES = [raw_shots, player_features, shot_model, shot_predictions, shot_ground_truth]
all_assets = load_assets_from_modules(ASSET_MODULES)
all_checks = load_asset_checks_from_modules([raw_shots_checks])


def env_setting(name: str) -> EnvVar | str:
    """``EnvVar(name)`` when the variable is set, so Dagster shows its name and never its value (a
    database password stays out of the UI and the run storage); "" when it is not, which the
    resource resolves to the embedded default (SQLite and models under $SHOT_PLATFORM_HOME) when used.
    Dagster refuses an ``EnvVar`` whose variable is unset, so the default cannot be an EnvVar."""
    return EnvVar(name) if os.environ.get(name) else ""


def default_resources(settings: Settings | None = None) -> dict:
    """Resources configured from the environment through ``EnvVar`` (``settings`` is not needed any more:
    every value is read from the same variables when the resource is used)."""
    return {
        "shot_store": ShotStoreResource(database_url=env_setting(DATABASE_URL_ENV)),
        "model_store": ShotModelStoreResource(
            location=env_setting(MODEL_STORE_ENV), s3_endpoint_url=env_setting(S3_ENDPOINT_ENV)
        ),
    }


defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[retrain_job],
    schedules=[daily_retrain_schedule],
    sensors=[retrain_on_new_shots],
    resources=default_resources(),
)
