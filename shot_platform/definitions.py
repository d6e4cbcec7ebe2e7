"""The Dagster code location: assembles every domain's assets, checks, resources, jobs and sensors.

Like Dagster's project_fully_featured, each domain keeps its assets in one package, loaded here
with its group name. Nothing here imports TensorFlow (tested): the shot domain and the UI do not
pay for it; only the score_beater model module imports it, when a run needs it.
"""

from __future__ import annotations

from dagster import (
    Definitions,
    EnvVar,
    load_asset_checks_from_modules,
    load_asset_checks_from_package_module,
    load_assets_from_modules,
    load_assets_from_package_module,
)

from shot_platform.core.settings import DATABASE_URL_ENV, MODEL_STORE_ENV, S3_ENDPOINT_ENV, Settings, configured
from shot_platform.free_throws import assets as free_throw_assets
from shot_platform.free_throws import checks as free_throw_checks
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterScorerResource, scores_api_resource
from shot_platform.free_throws.sensors import free_throw_games_sensor, score_beater_labels_sensor
from shot_platform.shots.assets import player_features, raw_shots, shot_ground_truth, shot_model, shot_predictions
from shot_platform.shots.checks import raw_shots as raw_shots_checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource
from shot_platform.shots.sensors import retrain_on_new_shots

ASSET_MODULES = [raw_shots, player_features, shot_model, shot_predictions, shot_ground_truth]
shot_assets = load_assets_from_modules(ASSET_MODULES)
free_throws_assets = load_assets_from_package_module(free_throw_assets, group_name="free_throws")
all_assets = [*shot_assets, *free_throws_assets]
shot_checks = load_asset_checks_from_modules([raw_shots_checks])
free_throws_checks = load_asset_checks_from_package_module(free_throw_checks)
all_checks = [*shot_checks, *free_throws_checks]


def env_setting(name: str) -> EnvVar | str:
    """``EnvVar(name)`` when the variable is set, so Dagster shows its name and never its value (a
    database password stays out of the UI and the run storage); "" when it is not, which the
    resource resolves to the embedded default (SQLite and models under $SHOT_PLATFORM_HOME) when used.
    Dagster refuses an ``EnvVar`` whose variable is unset, so the default cannot be an EnvVar."""
    return EnvVar(name) if configured(name) else ""


def default_resources(settings: Settings | None = None) -> dict:
    """Resources configured from the environment through ``EnvVar`` (``settings`` is not needed any more:
    every value is read from the same variables when the resource is used)."""
    return {
        "shot_store": ShotStoreResource(database_url=env_setting(DATABASE_URL_ENV)),
        "free_throw_store": FreeThrowStoreResource(database_url=env_setting(DATABASE_URL_ENV)),
        "model_store": ShotModelStoreResource(
            location=env_setting(MODEL_STORE_ENV), s3_endpoint_url=env_setting(S3_ENDPOINT_ENV)
        ),
        "scores_api": scores_api_resource(),
        "score_beater_scorer": ScoreBeaterScorerResource(),
    }


Settings.from_env()  # production mode refuses to load without its database and model store

defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[retrain_job, free_throw_games_job, retrain_score_beater_job],
    schedules=[daily_retrain_schedule],
    sensors=[retrain_on_new_shots, free_throw_games_sensor, score_beater_labels_sensor],
    resources=default_resources(),
)
