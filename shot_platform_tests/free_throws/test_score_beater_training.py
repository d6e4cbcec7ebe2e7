"""Training the shipped score_beater MLP (the research recipe) on small synthetic seasons.

TensorFlow runs in child processes only (``training.keras_trainer``, ``check_export``, the CLI), as
in production: the pytest process stays free of it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.check_export import EXPECTED
from shot_platform.free_throws.counts import FreeThrowCounts, build_counts
from shot_platform.free_throws.evaluation import evaluate, evaluation_rows
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.labels import beat_labels
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform.free_throws.training import CHOOSING, FINAL, HOLDOUT_SHARE, keras_trainer, training_set
from shot_platform_tests.cli_process import materialise

SEASONS = {"seasons": 4, "first_season": 2010, "regular_games": 40, "playoff_games": 2, "seed": 8}


# Session scope (built once per worker), not module: the two slow tests then run in parallel under
# pytest-xdist (see conftest.py, pytest_xdist_make_scheduler).
@pytest.fixture(scope="session")
def events() -> pd.DataFrame:
    return generate_free_throws(**SEASONS)


@pytest.fixture(scope="session")
def counts(events: pd.DataFrame) -> FreeThrowCounts:
    return build_counts(events)


def test_one_training_season_chooses_epochs_on_held_out_players(counts: FreeThrowCounts) -> None:
    labels = beat_labels(counts.totals)
    data = training_set(counts, labels, [2011])
    held_out = set(data.selection["player"])
    assert held_out and held_out.isdisjoint(data.selection_train["player"])
    assert len(held_out) == pytest.approx(HOLDOUT_SHARE * counts.totals[counts.totals["season"] == 2010].shape[0], 1)
    assert set(data.train["season"]) == {2011} and "20% of the players of 2011" in data.describe()

    two = training_set(counts, labels, [2011, 2012])
    assert set(two.selection_train["season"]) == {2011} and set(two.selection["season"]) == {2012}
    assert set(two.train["season"]) == {2011, 2012}


@pytest.mark.slow
def test_trained_model_reloads_alone_with_its_training_probabilities_and_is_reproducible(
    counts: FreeThrowCounts, tmp_path: Path
) -> None:
    labels = beat_labels(counts.totals)
    data = training_set(counts, labels, [2011, 2012], seed=0)
    data.probe = evaluation_rows(counts, labels, [2013])  # judged: a season neither fit saw

    seen: list[tuple] = []
    first = keras_trainer(data, tmp_path / "a" / "model", report=lambda *epoch: seen.append(epoch))
    again = keras_trainer(data, tmp_path / "b" / "model")
    assert first["epochs_chosen_on"] == "season 2012" and 1 <= first["epochs"] <= 20
    # Progress: every epoch of both fits reached the parent as it ended, the judged one with its val loss.
    choosing = [(epoch, total) for fit, epoch, total, logs in seen if fit == CHOOSING and "val_log_loss" in logs]
    final = [(epoch, total) for fit, epoch, total, _ in seen if fit == FINAL]
    assert choosing[:2] == [(1, 20), (2, 20)] and len(choosing) >= first["epochs"]
    assert final == [(epoch, first["epochs"]) for epoch in range(1, first["epochs"] + 1)]
    assert len(seen) == len(choosing) + len(final)
    trained = np.asarray(first["trained_probabilities"])
    # Seeded, deterministic ops: the same rows give the same model, bit for bit.
    assert np.array_equal(trained, np.asarray(again["trained_probabilities"]))
    # The exported artifact, as the service loads it, is what the gate judges.
    np.testing.assert_allclose(first["probe_probabilities"], trained, rtol=0, atol=1e-6)
    # Worth serving: better than the base rate on the later season, before it starts and pooled.
    report = evaluate(data.probe, trained, data.base_rate)
    assert report["log_loss"] < report["base_log_loss"] and report["log_loss@0"] < report["base_log_loss@0"]

    # A fresh interpreter with TensorFlow and NumPy only (tf.saved_model.load, no Keras objects)
    # answers what the in-memory model answered during training.
    cases = tmp_path / "cases.npz"
    np.savez(cases, **{name: data.probe[name].to_numpy(np.float32) for name in INPUT_NAMES}, **{EXPECTED: trained})
    result = subprocess.run(
        [sys.executable, "-m", "shot_platform.free_throws.check_export", str(tmp_path / "a" / "model"), str(cases)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert result.stdout.startswith(f"OK: {len(trained)} rows")


@pytest.mark.slow
def test_materialising_a_store_without_a_model_trains_and_compares_the_first_one(
    events: pd.DataFrame, tmp_path: Path, platform_home: Path
) -> None:
    """A fresh store with four seasons: the score_beater asset trains on 2011-12 and 2012-13 (2010-11
    has no previous season to predict from), judges on 2013-14 beside the baselines, promotes it."""
    path = write_free_throws(events, tmp_path / "ft.csv.gz")
    assert CliRunner().invoke(cli, ["ingest", "free-throws", str(path)]).exit_code == 0
    output = materialise("--select", "group:free_throws")
    assert "score_beater: champion=1" in output and "promoted=True" in output
    # training progress is in the run's log, epoch by epoch, for both fits
    assert "score_beater fit (choosing epochs): epoch 1/20: " in output and "val_log_loss" in output
    assert "score_beater fit (final): epoch 1/" in output
    assert "model_version=1" in output.split("score_beater_predictions:")[1].splitlines()[0]

    registry = SavedModelStore(LocalBlobStore(platform_home / "models"), "score_beater")
    assert registry.champion_version() == "1"
    metadata = registry.metadata("1")
    assert metadata["train_seasons"] == [2011, 2012] and metadata["test_seasons"] == [2013]
    comparison = metadata["comparison"]
    names = list(comparison)
    assert names[0].startswith("base rate") and names[1:] == [
        "logistic regression",
        "HistGradientBoosting",
        "MLP (score_beater)",
    ]
    assert {"auc", "log_loss", "log_loss@0", "log_loss@0.75"} <= set(comparison["MLP (score_beater)"])
    assert metadata["metrics"]["log_loss"] == pytest.approx(comparison["MLP (score_beater)"]["log_loss"], abs=1e-4)
    assert metadata["metrics"]["log_loss"] < metadata["metrics"]["base_rate_log_loss"]
    assert len(metadata["calibration"]) == 10 and metadata["epochs_chosen_on"] == "season 2012"
