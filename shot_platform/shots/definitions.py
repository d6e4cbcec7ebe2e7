"""The shot domain's Dagster definitions: its assets and checks (group ``shots``), its retraining job,
schedule and sensor, and its own resources (store, ``shot_models`` registry, retraining threshold)."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_package_module, load_assets_from_package_module

from shot_platform.core.env_config import env_setting
from shot_platform.core.settings import DATABASE_URL_ENV, MODEL_STORE_ENV, S3_ENDPOINT_ENV
from shot_platform.shots import assets, checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.resources import ShotModelStoreResource, ShotRetrainingResource, ShotStoreResource
from shot_platform.shots.sensors import retrain_on_new_shots
from shot_platform.shots.settings import ShotSettings


def resources() -> dict[str, object]:
    """The domain's resources: secrets and locations through ``EnvVar``; the threshold by value, so the
    UI shows it."""
    return {
        "shot_store": ShotStoreResource(database_url=env_setting(DATABASE_URL_ENV)),
        "shot_models": ShotModelStoreResource(
            location=env_setting(MODEL_STORE_ENV), s3_endpoint_url=env_setting(S3_ENDPOINT_ENV)
        ),
        "shot_retraining": ShotRetrainingResource(min_new_shots=ShotSettings.from_env().retrain_min_new_shots),
    }


defs = Definitions(
    assets=load_assets_from_package_module(assets, group_name="shots"),
    asset_checks=load_asset_checks_from_package_module(checks),
    jobs=[retrain_job],
    schedules=[daily_retrain_schedule],
    sensors=[retrain_on_new_shots],
    resources=resources(),
)
