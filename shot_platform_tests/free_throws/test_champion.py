"""The free_throws group with a real score_beater champion in the registry (a SavedModel).

The materialisation runs in a child process: TensorFlow stays out of the pytest process (see
``saved_models.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform_tests.cli_process import materialise
from shot_platform_tests.saved_models import export_model

pytestmark = pytest.mark.slow


def test_predictions_and_ground_truth_with_the_registrys_champion(
    platform_home: Path, free_throw_file: Path, tmp_path: Path
):
    export = tmp_path / "export" / "model"
    export.parent.mkdir()
    export_model(export, seed=1)
    registry = SavedModelStore(LocalBlobStore(platform_home / "models"), "score_beater")
    # Recorded as trained on every stored season: no label is new to it, so no materialisation retrains.
    registry.promote(registry.save(export, {"train_seasons": [2010, 2011, 2012]}), "test")
    assert CliRunner().invoke(cli, ["ingest", "free-throws", str(free_throw_file)]).exit_code == 0

    first = materialise("--select", "group:free_throws")
    assert "score_beater: champion=1" in first
    rows = int(re.search(r"score_beater_predictions: rows=(\d+), recomputed=(\d+)", first).group(1))
    assert f"score_beater_predictions: rows={rows}, recomputed={rows}, reused_from_cache=0, model_version=1" in first
    # Every served season is one it trained on: nothing is live, so nothing is pooled or judged yet.
    truth = re.search(r"score_beater_ground_truth: .*", first).group(0)
    assert "model_version=1" in truth and "live_log_loss" not in truth
    assert "check live_log_loss_near_test: passed" in first
    assert "check labels_complete: passed" in first

    store = FreeThrowStore(f"sqlite:///{platform_home / 'store.db'}")
    stored = store.load_predictions("1")
    store.dispose()
    assert len(stored) == rows and stored["probability"].between(0, 1).all()
    # The stored numbers are the champion's through its serving signature, for the stored inputs
    # (recomputed in a child process with the class the service uses).
    script = """
import json, sys
from shot_platform.free_throws.features.history import inputs_at
from shot_platform.free_throws.serving.champion import champion_scorer
from shot_platform.free_throws.store import FreeThrowStore, tables
store = FreeThrowStore(sys.argv[1])
history = store.load(tables.free_throw_player_features)
frame = inputs_at(history, 2012, int(sys.argv[2]))
p = champion_scorer(sys.argv[3]).predict(frame)
print(json.dumps(dict(zip(frame["player"], p.tolist()))))
"""
    point = int(stored.loc[stored["season"] == 2012, "games_played"].max())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    database, models = f"sqlite:///{platform_home / 'store.db'}", str(platform_home / "models")
    answer = subprocess.run(
        [sys.executable, "-c", script, database, str(point), models],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    expected = json.loads(answer.stdout.strip().splitlines()[-1])
    mine = stored[(stored["season"] == 2012) & (stored["games_played"] == point)].set_index("player")["probability"]
    assert len(mine) == len(expected) > 50
    assert mine.to_dict() == pytest.approx(expected, abs=1e-12)

    # Nothing changed: every prediction comes from the cache, the model is not called.
    again = materialise("--select", "group:free_throws")
    assert f"score_beater_predictions: rows={rows}, recomputed=0, reused_from_cache={rows}, model_version=1" in again
