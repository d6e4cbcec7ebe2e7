"""Jobs, and the schedule that runs retraining daily."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

retrain_job = define_asset_job(
    "retrain_shot_model",
    selection=AssetSelection.groups("shots"),
    description="Re-read the store, rebuild player features, train a challenger, gate it, refresh predictions.",
    tags={"shot_platform/kind": "retrain"},
)

daily_retrain_schedule = ScheduleDefinition(
    name="daily_retrain",
    job=retrain_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Retrain once a day even when fewer than the sensor's threshold of new shots arrived.",
)
