"""One writer per table: every table of the free-throw flow is declared by exactly one asset of the code
location, and the assets that only read (the ground truth) or write one table (batch mode) do just that."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from dagster import AssetKey, instance_for_test, materialize

from shot_platform.definitions import defs
from shot_platform.free_throws.assets.flow_tables import TABLES_METADATA, WRITERS
from shot_platform.free_throws.definitions import defs as free_throw_defs
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.store import FreeThrowStore, tables


def declared_writers() -> Counter:
    """(table, asset key) as the code location's asset graph declares them."""
    graph = defs.resolve_asset_graph()
    return Counter(
        (table.strip(), key.to_user_string())
        for key in graph.get_all_asset_keys()
        for table in str(graph.get(key).metadata.get(TABLES_METADATA, "")).split(",")
        if table.strip()
    )


def test_every_table_of_the_flow_has_exactly_one_writing_asset():
    flow_tables = set(tables.metadata.tables) | set(ledger.metadata.tables)
    writers = declared_writers()
    per_table = Counter(table for table, _ in writers)
    assert set(per_table) == flow_tables  # every table declared, no unknown one
    assert all(count == 1 for count in per_table.values()), per_table
    # The declaration is the graph's: every writing key is one multi-asset's, the incremental
    # sync and the batch rebuild being its two modes.
    graph = defs.resolve_asset_graph()
    nodes = {graph.get(AssetKey(key)).assets_def.node_def.name for _, key in writers}
    assert nodes == {"free_throw_games"} and {key for _, key in writers} == set(WRITERS)


def _resources(store: FreeThrowStore, tmp_path: Path) -> dict:
    return {
        "free_throw_store": FreeThrowStoreResource(database_url=store.url),
        "score_beater_models": ScoreBeaterModelsResource(location=str(tmp_path / "models")),
        "scores_api": ScoresApiResource(base_url=""),  # no provider: the batch mode
        "score_beater_scorer": ScoreBeaterScorerResource(),
    }


def _materialise(store: FreeThrowStore, tmp_path: Path, selection: str):
    with instance_for_test() as instance:
        result = materialize(
            [*free_throw_defs.assets, *free_throw_defs.asset_checks],
            resources=_resources(store, tmp_path),
            instance=instance,
            selection=selection,
        )
    assert result.success
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def _count(store: FreeThrowStore, table) -> int:
    return len(store.load(table))


@pytest.mark.slow
def test_batch_mode_writes_only_the_selected_tables_and_the_ground_truth_only_reads(
    free_throw_store: FreeThrowStore, free_throw_file: Path, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    assert _materialise(free_throw_store, tmp_path, "free_throw_player_features") == {"free_throw_player_features"}
    assert _count(free_throw_store, tables.free_throw_player_features) > 0
    assert _count(free_throw_store, tables.free_throw_player_games) == 0  # counts: another asset's table
    assert _materialise(free_throw_store, tmp_path, "free_throw_player_games") == {"free_throw_player_games"}
    assert _count(free_throw_store, tables.free_throw_player_games) > 0
    # The ground truth reads the labels; only free_throw_labels writes them.
    assert _materialise(free_throw_store, tmp_path, "score_beater_ground_truth") == {"score_beater_ground_truth"}
    assert _count(free_throw_store, tables.free_throw_labels) == 0
    assert _materialise(free_throw_store, tmp_path, "free_throw_labels") == {"free_throw_labels"}
    assert _count(free_throw_store, tables.free_throw_labels) > 0
