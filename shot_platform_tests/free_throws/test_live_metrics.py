"""Ground truth as it becomes known and the live metrics of the served predictions: the label rules
on hand-made counts, the prediction in force at each point, and the ground-truth asset with its
live-log-loss check passing and failing on stored predictions (SQLite and PostgreSQL), on a
version's out-of-sample seasons only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dagster import instance_for_test, materialize

from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.free_throws.definitions import defs  # the domain's own graph and resources, alone
from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.inputs import games_at_fractions
from shot_platform.free_throws.live_metrics import (
    SeasonProgress,
    known_labels,
    load_live_report,
    season_progress,
    served_at_points,
)
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.training_window import TrainingWindow

FEATURES = pd.DataFrame(
    {  # three players of 2009-10, predicted for 2010-11 (a 10-game season)
        "season": [2010, 2010, 2010],
        "player": ["A", "B", "C"],
        "games_played": [0, 0, 0],
        "last_made": [3, 5, 0],
        "scheduled_games": [10, 10, 10],
    }
)
GAMES = pd.DataFrame(
    {  # A passes 3 made in game 3; B has 1; C never plays
        "season": [2010, 2010, 2010],
        "player": ["A", "A", "B"],
        "game_number": [1, 3, 2],
        "made": [2, 2, 1],
    }
)


def test_a_beat_is_known_when_it_happens_the_rest_when_the_season_ends():
    partial = known_labels(FEATURES, GAMES, season_progress({2010: 10}, {2010: 4}))
    assert partial.set_index("player")[["made", "beat"]].to_dict("index") == {
        "A": {"made": 4, "beat": 1},
        "B": {"made": 1, "beat": 0},
        "C": {"made": 0, "beat": 0},
    }
    assert partial.set_index("player")["known_at"].to_dict() == {"A": 3.0, "B": pytest.approx(np.nan, nan_ok=True),
                                                                "C": pytest.approx(np.nan, nan_ok=True)}  # fmt: skip
    complete = known_labels(FEATURES, GAMES, season_progress({2010: 10}, {2010: 10}))
    assert complete.set_index("player")["known_at"].to_dict() == {"A": 3.0, "B": 10.0, "C": 10.0}
    # A later season with games means this one is over, even if its last games had no free throw.
    assert season_progress({2010: 10, 2011: 10}, {2010: 9, 2011: 1})[2010].complete


def test_the_prediction_in_force_at_each_point_is_the_latest_made_for_it():
    points = games_at_fractions(10, (0.0, 0.25, 0.5, 0.75))  # 0, 2, 5, 8
    t = pd.Timestamp("2026-01-01", tz="UTC")
    predictions = pd.DataFrame(
        [
            ("A", 0, "1", 0.30, t),
            ("A", 2, "1", 0.40, t + pd.Timedelta(minutes=1)),
            ("A", 2, "2", 0.90, t + pd.Timedelta(hours=1)),  # a later backfill by version 2: not what was served
            ("A", 4, "1", 0.60, t + pd.Timedelta(minutes=2)),
            ("B", 0, "1", 0.20, t),
        ],
        columns=["player", "games_played", "model_version", "probability", "made_at"],
    ).assign(season=2010)
    served = served_at_points(predictions, {2010: SeasonProgress(2010, final_games=6, scheduled_games=10)})
    table = {(row.player, row.games_played): (row.probability, row.model_version) for row in served.itertuples()}
    assert table == {
        ("A", points[0]): (0.30, "1"),
        ("A", points[1]): (0.40, "1"),
        ("A", points[2]): (0.60, "1"),  # the row after game 4 is still in force after game 5
        ("B", points[0]): (0.20, "1"),
        ("B", points[1]): (0.20, "1"),
        ("B", points[2]): (0.20, "1"),
    }  # 75% (game 8) is not reached after 6 games: nothing was served for it yet


def store_predictions(store: FreeThrowStore, version: str, season: int, correct: bool) -> int:
    """Every player at every processed point of ``season``, right or wrong with confidence 0.85."""
    report = load_live_report(store)
    labels = report.labels[report.labels["season"] == season].set_index("player")["beat"]
    features = store.load(tables.free_throw_player_features)
    scheduled = int(features.loc[features["season"] == season, "scheduled_games"].max())
    rows = pd.DataFrame(
        [(season, player, k) for player in labels.index for k in range(scheduled + 1)],
        columns=["season", "player", "games_played"],
    )
    beat = rows["player"].map(labels).to_numpy()
    probability = np.where(beat == 1, 0.85, 0.15) if correct else np.where(beat == 1, 0.15, 0.85)
    rows = rows.assign(model_version=version, input_hash="0" * 16, probability=probability)
    return store.upsert_predictions(rows)


def ground_truth(store: FreeThrowStore, models: Path):
    resources = {
        "free_throw_store": FreeThrowStoreResource(database_url=store.url),
        "score_beater_models": ScoreBeaterModelsResource(location=str(models)),
        "scores_api": ScoresApiResource(base_url=""),  # not used: only the ground truth runs
        "score_beater_scorer": ScoreBeaterScorerResource(),
    }
    with instance_for_test() as instance:
        result = materialize(
            [*defs.assets, *defs.asset_checks],
            selection="score_beater_ground_truth",
            resources=resources,
            instance=instance,
        )
    assert result.success
    metadata = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    return metadata, checks


def save_stand_in(models: Path, metadata: dict) -> str:
    """A registry version with ``metadata`` (its bytes are never loaded: only the metadata is read)."""
    registry = open_saved_model_store(str(models), None, "score_beater")
    export = models.parent / f"export-{len(registry.versions()) + 1}"
    export.mkdir()
    (export / "saved_model.pb").write_bytes(b"stand-in")
    return registry.save(export, metadata)


def test_a_version_is_live_only_after_the_seasons_it_trained_and_was_judged_on():
    window = TrainingWindow.from_metadata({"train_seasons": [2009, 2010], "test_seasons": [2011]})
    assert [window.sample(season) for season in (2008, 2009, 2010, 2011, 2012, 2013)] == [
        "not live: before its training window",
        "in sample: trained on",
        "in sample: trained on",
        "in sample: judged on",
        "out of sample",
        "out of sample",
    ]
    assert TrainingWindow.from_metadata({"train_seasons": [2009, 2011]}).sample(2010) == (
        "in sample: inside its training window"
    )
    assert TrainingWindow.from_metadata({}).sample(2012) == "not live: training window unknown"


def test_live_figures_count_only_out_of_sample_seasons_in_sample_ones_are_shown_apart(
    free_throw_store: FreeThrowStore, free_throw_file: Path, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    rebuild_features(free_throw_store)  # 2010-11 is history only; 2011-12 and 2012-13 are predicted
    models = tmp_path / "models"
    metadata = {"train_seasons": [2010], "test_seasons": [2011], "metrics": {"log_loss": 0.30}}
    assert save_stand_in(models, metadata) == "1"
    # Wrong on the season it was judged on (log loss 1.897): pooled with 2012-13, the check would fail.
    store_predictions(free_throw_store, "1", 2011, correct=False)
    store_predictions(free_throw_store, "1", 2012, correct=True)  # live -ln(0.85) = 0.163
    truth, checks = ground_truth(free_throw_store, models)
    assert truth["live_log_loss"] == pytest.approx(-np.log(0.85), abs=1e-6) and truth["live_auc"] == 1.0
    assert truth["live_seasons"] == "version 1: 2012-13 (trained on 2010-11; judged on 2011-12)"
    table = truth["live_by_model_version"].splitlines()
    assert len(table) == 3 and table[2].replace(" ", "").startswith("|1|2012-13|")
    assert "2012-13" in truth["metrics_by_season"] and "2011-12" not in truth["metrics_by_season"]
    in_sample = truth["in_sample_by_season"].splitlines()
    assert len(in_sample) == 3 and "2011-12" in in_sample[2] and "in sample: judged on" in in_sample[2]
    assert "data:image/png;base64," in truth["calibration"]  # of the out-of-sample rows
    assert checks["live_log_loss_near_test"].passed
    assert checks["live_log_loss_near_test"].metadata["compared_versions"].value == 1


def test_a_version_without_out_of_sample_seasons_is_not_judged_yet(
    free_throw_store: FreeThrowStore, free_throw_file: Path, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    rebuild_features(free_throw_store)
    models = tmp_path / "models"
    save_stand_in(models, {"train_seasons": [2011], "test_seasons": [2012], "metrics": {"log_loss": 0.30}})
    for season in (2011, 2012):  # far off on both: it would fail if either counted as live
        store_predictions(free_throw_store, "1", season, correct=False)
    truth, checks = ground_truth(free_throw_store, models)
    check = checks["live_log_loss_near_test"]
    assert check.passed and check.description.startswith("not judged yet")
    assert check.metadata["not_judged_yet"].value == "version 1 (trained on 2011-12; judged on 2012-13)"
    assert "live_log_loss" not in truth and "calibration" not in truth
    assert truth["live_by_model_version"] == "no complete out-of-sample season served yet"
    assert truth["live_seasons"] == "version 1: none (trained on 2011-12; judged on 2012-13)"
    in_sample = truth["in_sample_by_season"]
    assert "in sample: trained on" in in_sample and "in sample: judged on" in in_sample
    # The first season has nobody to beat: listed, but neither complete nor partial.
    seasons = {
        row.split("|")[1].strip(): row.split("|")[2].strip() for row in truth["labels_per_season"].splitlines()[2:]
    }
    assert seasons == {
        "2010-11": "no labels: no previous season in the data",
        "2011-12": "complete",
        "2012-13": "complete",
    }
    assert truth["partial_seasons"] == "none"


def test_live_log_loss_check_passes_within_and_fails_beyond_the_test_log_loss(
    free_throw_store: FreeThrowStore, free_throw_file: Path, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    rebuild_features(free_throw_store)  # seasons 2011-12 and 2012-13 are predicted and complete
    models = tmp_path / "models"
    registry = open_saved_model_store(str(models), None, "score_beater")
    for test_log_loss in (0.30, 0.30):
        export = tmp_path / f"export{test_log_loss}{len(registry.versions())}"
        export.mkdir()
        (export / "saved_model.pb").write_bytes(b"stand-in")
        registry.save(export, {"train_seasons": [2010], "metrics": {"log_loss": test_log_loss}})

    store_predictions(free_throw_store, "1", 2011, correct=True)  # live log loss -ln(0.85) = 0.163
    metadata, checks = ground_truth(free_throw_store, models)
    assert checks["live_log_loss_near_test"].passed
    assert metadata["live_log_loss"] == pytest.approx(-np.log(0.85), abs=1e-6)
    assert metadata["live_brier"] == pytest.approx(0.15**2, abs=1e-9) and metadata["live_auc"] == 1.0
    table = metadata["live_by_model_version"].splitlines()  # version, seasons, rows, log loss, ..., test log loss
    assert table[2].replace(" ", "").startswith("|1|2011-12|") and table[2].replace(" ", "").endswith("|0.3|")
    for column in ("log_loss@0", "log_loss@0.75", "brier"):
        assert column in metadata["metrics_by_season"]

    store_predictions(free_throw_store, "2", 2012, correct=False)  # live -ln(0.15) = 1.897 vs test 0.30
    metadata, checks = ground_truth(free_throw_store, models)
    failed = checks["live_log_loss_near_test"]
    assert not failed.passed
    assert failed.metadata["failing_versions"].value == "2"
    assert "version 2: live 1.8971 vs test 0.3000" in failed.description
    assert metadata["model_version"] == "2" and metadata["live_log_loss"] == pytest.approx(-np.log(0.15), abs=1e-6)


def test_an_empty_store_has_no_labels_and_no_metrics(tmp_path: Path):
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'empty.db'}")
    store.create_schema()
    report = load_live_report(store)
    assert report.labels.empty and report.rows.empty and report.by_season.empty and report.by_version.empty
    metadata, checks = ground_truth(store, tmp_path / "models")
    assert metadata["labels_known"] == 0 and metadata["partial_seasons"] == "none"
    assert all(check.passed for check in checks.values())
