"""What a domain's raw-data asset does around its own summary: ingest the configured files, warn
when the store is empty, and report the store's counts with its (password-free) location."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dagster import AssetExecutionContext, MetadataValue
from sqlalchemy import Engine

from shot_platform.core.ingest.report import IngestReport


def ingest_paths(
    context: AssetExecutionContext, store: Any, paths: Iterable[str], ingest_file: Callable[[Any, str], IngestReport]
) -> None:
    """Ingest each configured file into ``store``, logging its report."""
    for path in paths:
        context.log.info(ingest_file(store, path).summary())


def raw_data_metadata(
    context: AssetExecutionContext,
    engine: Engine,
    summary: Mapping[str, Any],
    empty_hint: str,
    details: Mapping[str, Any],
    latest_id_key: str,
) -> dict[str, Any]:
    """The asset's metadata: rows, games, the domain's ``details``, quarantined, the latest row id
    (under ``latest_id_key``) and the store; an empty store logs ``empty_hint`` as a warning."""
    if summary["rows"] == 0:
        context.log.warning(empty_hint)
    return {
        "rows": summary["rows"],
        "games": summary["games"],
        **details,
        "quarantined": summary["quarantined"],
        latest_id_key: summary["max_id"],
        "store": MetadataValue.text(engine.url.render_as_string(hide_password=True)),
    }
