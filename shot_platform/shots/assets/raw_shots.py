"""raw_shots: the validated shots in the store."""

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from shot_platform.shots.ingest.shots import ingest_shot_file
from shot_platform.shots.resources import ShotStoreResource


class RawShotsConfig(Config):
    """Files to ingest before summarising the store (empty: just summarise)."""

    paths: list[str] = []


@asset(group_name="shots", compute_kind="sql")
def raw_shots(
    context: AssetExecutionContext, config: RawShotsConfig, shot_store: ShotStoreResource
) -> MaterializeResult:
    """Validated, cleaned field-goal attempts (Kaggle shot-logs schema) in the store.

    New data arrives with `shot-platform ingest shots PATH` (or the `paths`
    config); bad rows are in the `quarantine` table (domain shots) with their reason.
    """
    store = shot_store.get()
    for path in config.paths:
        report = ingest_shot_file(store, path)
        context.log.info(report.summary())
    summary = store.shot_summary()
    if summary["rows"] == 0:
        context.log.warning("the store has no shots yet: run `shot-platform ingest shots PATH` first")
    return MaterializeResult(
        metadata={
            "rows": summary["rows"],
            "games": summary["games"],
            "first_game_date": summary["first_date"] or "",
            "last_game_date": summary["last_date"] or "",
            "quarantined": summary["quarantined"],
            "latest_shot_id": summary["max_id"],
            "store": MetadataValue.text(store.engine.url.render_as_string(hide_password=True)),
        }
    )
