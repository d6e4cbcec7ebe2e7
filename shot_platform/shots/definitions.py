"""The shot domain's Dagster definitions: its assets and checks (group ``shots``), its retraining job,
schedule and sensor, and its own resources (store, ``shot_models`` registry, retraining threshold)."""

from __future__ import annotations

from shot_platform.core.domain_definitions import domain_definitions, store_resources
from shot_platform.shots import assets, checks
from shot_platform.shots.jobs import daily_retrain_schedule, retrain_job
from shot_platform.shots.resources import ShotModelStoreResource, ShotRetrainingResource, ShotStoreResource
from shot_platform.shots.sensors import retrain_on_new_shots
from shot_platform.shots.settings import ShotSettings


def resources() -> dict[str, object]:
    """The domain's resources: secrets and locations through ``EnvVar``; the threshold by value, so the
    UI shows it."""
    return {
        **store_resources("shot_store", ShotStoreResource, "shot_models", ShotModelStoreResource),
        "shot_retraining": ShotRetrainingResource(min_new_shots=ShotSettings.from_env().retrain_min_new_shots),
    }


defs = domain_definitions(
    "shots",
    assets,
    checks,
    resources(),
    jobs=[retrain_job],
    schedules=[daily_retrain_schedule],
    sensors=[retrain_on_new_shots],
)
