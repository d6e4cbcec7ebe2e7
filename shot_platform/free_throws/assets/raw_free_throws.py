"""raw_free_throws: the validated free-throw attempts in the store."""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from shot_platform.core.ingest.raw_data import ingest_paths, raw_data_metadata
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.resources import FreeThrowStoreResource


class RawFreeThrowsConfig(Config):
    """Files to ingest before summarising the store (empty: just summarise)."""

    paths: list[str] = []


@asset(compute_kind="sql")
def raw_free_throws(
    context: AssetExecutionContext, config: RawFreeThrowsConfig, free_throw_store: FreeThrowStoreResource
) -> MaterializeResult:
    """Validated free-throw attempts (Kaggle "NBA free throws" schema) in the `free_throws` table.

    New data arrives with `shot-platform ingest free-throws PATH` (or the `paths` config); bad
    rows are in the `quarantine` table (domain free_throws) with their reason.
    """
    store = free_throw_store.get()
    ingest_paths(context, store, config.paths, ingest_free_throw_file)
    summary = store.summary()
    seasons = f"{summary['first_season']}..{summary['last_season']}" if summary["rows"] else ""
    details = {"players": summary["players"], "seasons": seasons}
    hint = "the store has no free throws yet: run `shot-platform ingest free-throws PATH` first"
    return MaterializeResult(
        metadata=raw_data_metadata(context, store.engine, summary, hint, details, "latest_event_id")
    )
