"""The free_throws asset group in a real Dagster instance: lineage, selection syntax, a store with
only free-throw data, the prediction cache and the ground truth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from dagster import AssetKey, AssetSelection, DefaultSensorStatus, instance_for_test, materialize

from shot_platform.cli import cli
from shot_platform.cli.materialize import LOCAL_INSTANCE_CONFIG, parse_selection
from shot_platform.definitions import defs
from shot_platform.free_throws.definitions import defs as free_throw_defs
from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.scoring import prediction_points, refresh_predictions, snapshot_frame
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.cli_process import materialise
from shot_platform_tests.stand_in_scorers import PaceScorer as StandInPace

ROOT = Path(__file__).resolve().parents[2]
GROUP = ["free_throw_games", "raw_free_throws", "free_throw_player_games", "free_throw_player_features",
         "free_throw_labels", "score_beater", "score_beater_predictions", "score_beater_ground_truth"]  # fmt: skip


class PaceScorer(StandInPace):
    version = "test-pace-1"


def test_lineage_and_groups():
    graph = defs.resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name == "free_throws"
    }
    assert parents == {
        "scores_api": set(),  # external: the graph shows it, nothing materialises it
        "free_throw_games": {"scores_api"},
        "raw_free_throws": {"free_throw_games"},
        "free_throw_player_games": {"raw_free_throws"},
        "free_throw_player_features": {"free_throw_player_games"},
        "free_throw_labels": {"free_throw_player_games", "free_throw_player_features"},
        "score_beater": {"free_throw_player_features", "free_throw_labels"},
        "score_beater_predictions": {"score_beater", "free_throw_player_features"},
        "score_beater_ground_truth": {"score_beater_predictions", "free_throw_labels"},
    }
    assert not graph.get(AssetKey("scores_api")).is_materializable
    checks = {key.name: key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert checks["raw_free_throws_rules"] == "raw_free_throws"
    assert checks["labels_complete"] == "free_throw_labels"
    assert checks["live_log_loss_near_test"] == "score_beater_ground_truth"


def test_definitions_assemble_the_game_by_game_flow():
    """What `dagster dev` loads: both flow sensors, running by default, on their jobs."""
    sensors = {sensor.name: sensor for sensor in defs.sensors}
    games, labels = sensors["free_throw_games_sensor"], sensors["score_beater_labels_sensor"]
    assert games.default_status == labels.default_status == DefaultSensorStatus.RUNNING
    assert games.job_name == "sync_free_throw_games" and labels.job_name == "retrain_score_beater"
    sync, retrain = defs.resolve_job_def("sync_free_throw_games"), defs.resolve_job_def("retrain_score_beater")
    assert sync.tags["shot_platform/kind"] == "free_throw_sync" and retrain.tags["shot_platform/kind"] == "retrain"
    assert {key.to_user_string() for key in sync.asset_layer.executable_asset_keys} == {
        *(key for key in GROUP if key != "score_beater"),  # every table the games run writes
        "score_beater_ground_truth",
    }
    for source in (ROOT / "dagster.yaml", None):  # the production instance and the embedded one
        text = source.read_text() if source else LOCAL_INSTANCE_CONFIG
        limits = yaml.safe_load(text)["run_coordinator"]["config"]["tag_concurrency_limits"]
        # one run per kind at a time: one sync run, one retraining run across both domains
        assert {"key": "shot_platform/kind", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_definitions_do_not_import_tensorflow():
    code = "import sys, shot_platform.definitions; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


def test_only_the_model_module_imports_tensorflow():
    package = Path(__file__).resolve().parents[2] / "shot_platform"
    importers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if any(line.startswith(("import tensorflow", "import keras", "from keras", "from tensorflow"))
               for line in path.read_text().splitlines())
    }  # fmt: skip
    assert importers <= {"free_throws/model.py"}


def test_selection_syntax():
    def keys(text: str) -> set[str]:
        return {
            key.to_user_string() for key in AssetSelection.from_coercible(parse_selection(text)).resolve(defs.assets)
        }

    assert keys("group:free_throws") == set(GROUP)  # not the external scores_api: nothing to run
    assert keys("key:shot_model+") == {"shot_model", "shot_predictions", "shot_ground_truth"}  # all downstream
    assert keys("+key:shot_model") == {"raw_shots", "player_features", "shot_model"}
    assert keys("raw_shots,player_features") == {"raw_shots", "player_features"}  # the older comma lists
    assert keys("group:free_throws and key:score_beater*") == {
        "score_beater",
        "score_beater_predictions",
        "score_beater_ground_truth",
    }


@pytest.mark.slow
def test_materialise_the_free_throw_group_on_a_store_with_only_free_throws(platform_home: Path, free_throw_file: Path):
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "free-throws", str(free_throw_file)]).exit_code == 0
    output = materialise("--select", "group:free_throws")
    for asset in GROUP:
        assert f"  {asset}: " in output
    assert "check raw_free_throws_rules: passed" in output
    assert "check labels_complete: passed" in output
    assert "  free_throw_games: games_processed=0" in output  # no Scores API configured: a no-op
    assert "raw_shots" not in output and not (platform_home / "models" / "shot_model").exists()
    # No champion yet and three seasons (2011-12 and 2012-13 predicted): the first model is trained.
    assert "score_beater: champion=1" in output

    # Without --select, the empty shot group is skipped with a note instead of failing the run.
    everything = materialise()
    assert "skipping group shots: no data stored yet" in everything
    assert "  score_beater_ground_truth: " in everything

    refused = runner.invoke(cli, ["materialize", "--select", "group:(free_throws"])
    assert refused.exit_code == 1 and "Use Dagster's selection syntax" in refused.output


def test_prediction_cache_reuses_unchanged_inputs_and_full_refeed_recomputes(
    free_throw_store: FreeThrowStore, free_throw_file: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    _, history = rebuild_features(free_throw_store)
    snapshots = snapshot_frame(history, prediction_points(history, free_throw_store.latest_games()))
    scheduled = int(history.loc[history["season"] == 2011, "scheduled_games"].iloc[0])  # 121: 66/82 of 150
    expected_points = {0, round(scheduled / 4), round(scheduled / 2), round(scheduled * 3 / 4), scheduled}
    assert set(snapshots["games_played"][snapshots["season"] == 2011]) == expected_points  # 0/25/50/75%, last
    scorer = PaceScorer()

    first = refresh_predictions(free_throw_store, scorer, snapshots)
    assert (first.recomputed, first.reused, scorer.rows) == (len(snapshots), 0, len(snapshots))
    second = refresh_predictions(free_throw_store, scorer, snapshots)
    assert (second.recomputed, second.reused, scorer.rows) == (0, len(snapshots), len(snapshots))  # no model call

    changed = snapshots.copy()
    changed.loc[5, "made"] += 1
    third = refresh_predictions(free_throw_store, scorer, changed)
    assert (third.recomputed, third.reused) == (1, len(snapshots) - 1)

    refeed = refresh_predictions(free_throw_store, scorer, snapshots, full_refeed=True)
    assert (refeed.recomputed, refeed.reused) == (len(snapshots), 0)
    stored = free_throw_store.load_predictions(scorer.version)
    assert len(stored) == len(snapshots)
    expected = scorer.predict(snapshots)
    merged = snapshots.assign(expected=expected).merge(stored, on=["season", "player", "games_played"])
    np.testing.assert_allclose(merged["probability"], merged["expected"])


class PaceScorerResource(ScoreBeaterScorerResource):
    def get(self) -> PaceScorer:
        return SCORER


SCORER = PaceScorer()


def test_ground_truth_reports_labels_and_live_metrics(
    free_throw_store: FreeThrowStore, free_throw_file: Path, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    scorer = SCORER
    resources = {
        "free_throw_store": FreeThrowStoreResource(database_url=free_throw_store.url),
        "score_beater_models": ScoreBeaterModelsResource(location=str(tmp_path / "models")),
        "scores_api": ScoresApiResource(base_url=""),  # no provider: the flow's batch mode
        "score_beater_scorer": PaceScorerResource(),
    }
    with instance_for_test() as instance:
        result = materialize(
            [*free_throw_defs.assets, *free_throw_defs.asset_checks],
            resources=resources,
            instance=instance,
            selection="group:free_throws",
        )
        logged = [record.user_message for record in instance.all_logs(result.run_id)]
    assert result.success
    # The ground truth's steps show in the run log as they end (a minute or more on the full history).
    assert any(m.startswith("read ") and "stored predictions" in m for m in logged), logged
    assert any(m.startswith("labels and metrics of ") for m in logged), logged
    events = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    predictions = {k: v.value for k, v in events[AssetKey("score_beater_predictions")].items()}
    assert predictions["model_version"] == scorer.version and predictions["recomputed"] == predictions["rows"] > 0
    truth = {k: v.value for k, v in events[AssetKey("score_beater_ground_truth")].items()}
    labels = free_throw_store.load(tables.free_throw_labels)
    assert truth["labels_known"] == len(labels) > 0 and truth["labels_pending"] == 0
    assert labels["season"].nunique() == 2 and truth["partial_seasons"] == "none"
    # Every player of the previous season, at each of the 4 evaluation points of both seasons.
    assert truth["labelled_predictions"] == 4 * len(labels)
    # The stand-in scorer is not in the registry: nothing says which seasons it saw, so none is live
    # (test_free_throw_live_metrics covers the live figures of registered versions).
    assert truth["model_version"] == scorer.version and "live_auc" not in truth and "calibration" not in truth
    assert truth["live_seasons"] == f"version {scorer.version}: none (training window unknown)"
    assert "2011-12" in truth["in_sample_by_season"] and "training window unknown" in truth["in_sample_by_season"]
    assert truth["metrics_by_season"] == "no out-of-sample season served yet"
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert {name: check.passed for name, check in checks.items()} == {
        "raw_free_throws_rules": True,
        "labels_complete": True,
        "live_log_loss_near_test": True,
    }
    assert checks["live_log_loss_near_test"].description.startswith("not judged yet")
