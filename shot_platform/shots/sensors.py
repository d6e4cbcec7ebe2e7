"""Retrain when enough new labelled shots have arrived since the champion's data.

The watermark is the newest shot id the champion was trained on (stored in
its metadata); the cursor is the newest id a run was already requested for.
Counting ids above the larger of the two is a primary-key range scan, cheap
on millions of rows. The run key names the data, so the same rows never
launch two runs; no new shot never launches one, whatever the threshold (a tick at start-up with a
champion trained on every stored shot is a skip).
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from shot_platform.core.model_store import RegistryError
from shot_platform.shots.jobs import retrain_job
from shot_platform.shots.resources import ShotModelStoreResource, ShotRetrainingResource, ShotStoreResource


def champion_watermark(shot_models: ShotModelStoreResource, log=None) -> int:
    """The newest shot id the serving model was trained on (0 without a usable champion: a damaged
    pointer or metadata is logged and treated as no champion, so the next run trains one)."""
    models = shot_models.get()
    pointer = models.champion_pointer()
    if pointer.damaged and log is not None:
        log.warning(f"no usable champion, counting every shot as new: {pointer.problem}")
    if pointer.version is None:
        return 0
    try:
        return int(models.metadata(pointer.version).get("trained_through_shot_id") or 0)
    except (RegistryError, ValueError, TypeError) as error:
        if log is not None:
            log.warning(f"champion {pointer.version} unusable, counting every shot as new: {error}")
        return 0


@sensor(
    job=retrain_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests retraining once `shot_retraining.min_new_shots` (resource; "
    "$SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS, default 100) new labelled shots exist.",
)
def retrain_on_new_shots(
    context: SensorEvaluationContext,
    shot_store: ShotStoreResource,
    shot_models: ShotModelStoreResource,
    shot_retraining: ShotRetrainingResource,
):
    threshold = shot_retraining.threshold()
    since = max(champion_watermark(shot_models, context.log), int(context.cursor or 0))
    new_shots, latest = shot_store.get().count_shots_after(since)
    if new_shots == 0 or new_shots < threshold:  # nothing new (whatever the threshold): no run
        return SkipReason(f"{new_shots} new labelled shots since shot id {since}; retraining starts at {threshold}")
    context.update_cursor(str(latest))
    return RunRequest(
        run_key=f"shots-through-{latest}",
        tags={"shot_platform/new_shots": str(new_shots), "shot_platform/through_shot_id": str(latest)},
    )
