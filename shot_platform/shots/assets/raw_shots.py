"""raw_shots: the validated shots in the store."""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from shot_platform.core.ingest.raw_data import ingest_paths, raw_data_metadata
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
    ingest_paths(context, store, config.paths, ingest_shot_file)
    summary = store.shot_summary()
    details = {"first_game_date": summary["first_date"] or "", "last_game_date": summary["last_date"] or ""}
    hint = "the store has no shots yet: run `shot-platform ingest shots PATH` first"
    return MaterializeResult(
        metadata=raw_data_metadata(context, store.engine, summary, hint, details, "latest_shot_id")
    )
