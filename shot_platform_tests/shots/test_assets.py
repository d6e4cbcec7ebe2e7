"""The asset graph in a real Dagster instance: lineage, metadata, checks, prediction cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, Definitions, instance_for_test, materialize
from sqlalchemy import insert

from shot_platform.definitions import defs
from shot_platform.shots.definitions import defs as shot_defs
from shot_platform.shots.ingest.shots import ingest_shot_file
from shot_platform.shots.models.registry import shot_models_at
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource
from shot_platform.shots.rules import SHOT_RULES
from shot_platform.shots.store import ShotStore, tables
from shot_platform.shots.synthetic import generate_shots, write_shots

GRAPH = [*shot_defs.assets, *shot_defs.asset_checks]  # the shot group; the free_throws group has its own tests


def resources(database_url: str, model_dir: Path) -> dict:
    return {
        "shot_store": ShotStoreResource(database_url=database_url),
        "shot_models": ShotModelStoreResource(location=str(model_dir)),
    }


def metadata_of(result, asset: str) -> dict:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(asset)]
    assert events, f"{asset} was not materialised"
    return {key: value.value for key, value in events[-1].materialization.metadata.items()}


def checks_of(result) -> dict[str, bool]:
    return {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}


def test_definitions_load_with_the_documented_lineage():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    upstream = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name == "shots"
    }
    assert upstream == {
        "raw_shots": set(),
        "player_features": {"raw_shots"},
        "shot_model": {"player_features"},
        "shot_predictions": {"shot_model", "player_features"},
        "shot_ground_truth": {"shot_predictions", "raw_shots"},
    }
    assert {graph.get(key).group_name for key in graph.get_all_asset_keys()} == {"shots", "free_throws"}


def test_graph_materialises_and_predictions_are_cached(
    store: ShotStore, synthetic_file: Path, synthetic_shots: pd.DataFrame, tmp_path: Path
):
    ingest_shot_file(store, synthetic_file)
    res = resources(store.url, tmp_path / "models")
    with instance_for_test() as instance:
        first = materialize(GRAPH, resources=res, instance=instance)
        assert first.success
        assert checks_of(first) == {"raw_shots_schema_and_ranges": True, "beats_base_rate": True}
        raw = metadata_of(first, "raw_shots")
        assert (raw["rows"], raw["games"], raw["quarantined"]) == (len(synthetic_shots), 60, 0)
        model = metadata_of(first, "shot_model")
        assert model["promoted"] is True and model["champion"] == model["version"]
        assert model["log_loss"] < model["base_rate_log_loss"] and model["auc"] > 0.6
        assert model["train_dates"].split(" to ")[1] < model["test_dates"].split(" to ")[0]
        assert "data:image/png;base64," in model["roc"] and "data:image/png;base64," in model["calibration"]
        predictions = metadata_of(first, "shot_predictions")
        assert (predictions["recomputed"], predictions["reused_from_cache"]) == (len(synthetic_shots), 0)
        truth = metadata_of(first, "shot_ground_truth")
        assert truth["labelled_predictions"] == len(synthetic_shots)
        assert 0 < truth["unseen_rows"] < len(synthetic_shots)
        assert truth["unseen_log_loss"] == pytest.approx(model["log_loss"])

        stored = store.load_predictions()
        assert len(stored) == len(synthetic_shots) and stored["model_version"].eq(model["version"]).all()

        # Same model, same features: nothing is recomputed.
        again = materialize(GRAPH, resources=res, instance=instance, selection=["shot_predictions"])
        assert metadata_of(again, "shot_predictions")["recomputed"] == 0
        pd.testing.assert_frame_equal(
            store.load_predictions()
            .drop(columns="predicted_at")
            .sort_values(["game_id", "player_id", "shot_number"], ignore_index=True),
            stored.drop(columns="predicted_at").sort_values(["game_id", "player_id", "shot_number"], ignore_index=True),
        )

        # New, later games: earlier shots' features do not change, so only the new rows are scored.
        later = generate_shots(games=70, seed=7).iloc[len(synthetic_shots) :]
        assert len(later) > 0
        ingest_shot_file(store, write_shots(later, tmp_path / "later.csv"))
        refreshed = materialize(
            GRAPH, resources=res, instance=instance, selection=["player_features", "shot_predictions"]
        )
        assert metadata_of(refreshed, "shot_predictions")["recomputed"] == len(later)

        full = materialize(
            GRAPH,
            resources=res,
            instance=instance,
            selection=["shot_predictions"],
            run_config={"ops": {"shot_predictions": {"config": {"full_refeed": True}}}},
        )
        assert metadata_of(full, "shot_predictions")["recomputed"] == len(synthetic_shots) + len(later)


def test_raw_shots_check_fails_on_bad_data_and_blocks_training(store: ShotStore, synthetic_file: Path, tmp_path: Path):
    ingest_shot_file(store, synthetic_file)
    good = store.load_shots().iloc[0]
    with store.engine.begin() as conn:  # bypass ingest, as a manual load would
        conn.execute(
            insert(tables.shots),
            {
                **{c.name: None for c in tables.shots.columns if c.name != "id"},
                **{
                    "game_id": 1,
                    "player_id": 1,
                    "shot_number": 1,
                    "matchup": good["MATCHUP"],
                    "location": "H",
                    "period": 1,
                    "game_clock": "5:00",
                    "shot_clock": 40.0,
                    "dribbles": 0,
                    "touch_time": 1.0,
                    "shot_dist": -5.0,
                    "pts_type": 2,
                    "shot_result": "made",
                    "closest_defender_player_id": 2,
                    "close_def_dist": 3.0,
                    "fgm": 1,
                    "pts": 2,
                    "game_date": good["game_date"].date(),
                    "team": "AAA",
                    "opponent": "BBB",
                    "game_clock_s": 300.0,
                    "shot_dist_raw": -5.0,
                    "touch_time_raw": 1.0,
                    "cleaning_notes": "",
                    "row_hash": "x",
                    "source": "manual",
                    "ingested_at": pd.Timestamp.now(tz="UTC"),
                },
            },
        )
    with instance_for_test() as instance:
        result = materialize(
            GRAPH, resources=resources(store.url, tmp_path / "m"), instance=instance, raise_on_error=False
        )
    assert checks_of(result)["raw_shots_schema_and_ranges"] is False
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "raw_shots_schema_and_ranges")
    violations = evaluation.metadata["violations"].value
    assert violations == {SHOT_RULES["SHOT_DIST"].message: 1, SHOT_RULES["SHOT_CLOCK"].message: 1}
    # The description names each broken rule with its row count.
    assert "1 rows: SHOT_DIST must be a finite number within 0..94" in evaluation.description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"raw_shots"}  # the blocking check stopped everything downstream
    assert shot_models_at(tmp_path / "m").versions() == []


def test_model_check_fails_and_nothing_is_promoted_without_signal(store: ShotStore, tmp_path: Path):
    noise = generate_shots(games=40, seed=3)
    rng = np.random.default_rng(11)
    noise["FGM"] = rng.integers(0, 2, len(noise))
    noise["SHOT_RESULT"] = np.where(noise["FGM"] == 1, "made", "missed")
    noise["PTS"] = noise["FGM"] * noise["PTS_TYPE"]
    ingest_shot_file(store, write_shots(noise, tmp_path / "noise.csv"))
    models_dir = tmp_path / "models"
    with instance_for_test() as instance:
        result = materialize(GRAPH, resources=resources(store.url, models_dir), instance=instance, raise_on_error=False)
    assert checks_of(result)["beats_base_rate"] is False
    model = metadata_of(result, "shot_model")
    assert model["promoted"] is False and "base rate" in model["promotion_reason"]
    models = shot_models_at(models_dir)
    assert models.champion_version() is None and len(models.versions()) == 1


def test_ground_truth_measures_the_predictions_actually_served(store: ShotStore, synthetic_file: Path, tmp_path: Path):
    ingest_shot_file(store, synthetic_file)
    shots = store.load_shots().head(4)
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()

    def served(shot, probability: float, version: str, keyed: bool = True) -> dict:
        return {
            "request_id": "r", "requested_at": now, "model_version": version, "make_probability": probability,
            "game_id": int(shot["GAME_ID"]) if keyed else None, "player_id": int(shot["player_id"]),
            "shot_number": int(shot["SHOT_NUMBER"]) if keyed else None,
            "closest_defender_player_id": int(shot["CLOSEST_DEFENDER_PLAYER_ID"]), "inputs": "{}",
        }  # fmt: skip

    rows = [served(shots.iloc[i], 0.3 + 0.1 * i, "served-v1") for i in range(3)]
    rows.append(served(shots.iloc[3], 0.9, "served-v1", keyed=False))  # no shot key: cannot be joined
    rows.append(served(shots.iloc[0], 0.6, "served-v2"))  # asked again later: the latest answer counts
    store.insert_request_log(rows)

    with instance_for_test() as instance:
        result = materialize(GRAPH, resources=resources(store.url, tmp_path / "models"), instance=instance)
    truth = metadata_of(result, "shot_ground_truth")
    assert truth["served_labelled"] == 3
    table = truth["served_by_model_version"]
    assert "served-v1" in table and "served-v2" in table
    v1 = [(0.4, shots.iloc[1]["FGM"]), (0.5, shots.iloc[2]["FGM"])]
    expected = np.mean([-np.log(p if y else 1 - p) for p, y in v1])
    assert str(round(expected, 4)) in table  # log loss of the two keyed v1 answers that still count


def test_features_of_an_empty_store_fail_naming_the_ingest(store: ShotStore, tmp_path: Path):
    with instance_for_test() as instance:
        result = materialize(GRAPH, resources=resources(store.url, tmp_path / "models"), instance=instance,
                             selection=["raw_shots", "player_features"], raise_on_error=False)  # fmt: skip
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "player_features"
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("no shots stored yet") and "shot-platform ingest shots FILE" in description
