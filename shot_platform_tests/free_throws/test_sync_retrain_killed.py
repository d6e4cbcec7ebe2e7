"""`shot-platform sync free-throws` killed (SIGKILL) during the end-of-season retraining, then run
again, ends in the same store as an uninterrupted run: the same registry versions and champion, and
the same score_beater predictions (the next season's from the model the uninterrupted run promoted).
Real processes: the CLI, its Keras trainer child, the replay server; a real SavedModel champion."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.saved_models import export_model
from shot_platform_tests.service_process import BIN

CLI = str(BIN / "shot-platform")
RETRAINING = "retraining score_beater on"


@dataclass(frozen=True)
class Uninterrupted:
    data: Path
    exported: Path
    home: Path
    stdout: str


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Uninterrupted:
    """The reference: the same sync never stopped (SQLite), shared by both databases' killed runs."""
    root = tmp_path_factory.mktemp("retrain_killed")
    frame = generate_free_throws(seasons=4, first_season=2010, regular_games=40, playoff_games=2, seed=8)
    data = write_free_throws(frame, root / "four.csv.gz")
    exported = root / "exported"
    export_model(exported, seed=1)
    home = _home(root / "clean", exported)
    with replay_server(data, release="all") as url:
        stdout = _sync(home, url)
    return Uninterrupted(data, exported, home, stdout)


def _home(root: Path, exported: Path) -> Path:
    models = SavedModelStore(LocalBlobStore(root / "home" / "models"), "score_beater")
    models.promote(models.save(exported, {}), "test: an untrained-looking first model")
    return root / "home"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
    database = (home / "database_url").read_text() if (home / "database_url").exists() else None
    return {**env, "SHOT_PLATFORM_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
            "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS": "1", "PYTHONUNBUFFERED": "1",
            **({"SHOT_PLATFORM_DATABASE_URL": database} if database else {})}  # fmt: skip


def _sync(home: Path, url: str) -> str:
    result = subprocess.run([CLI, "sync", "free-throws", "--scores-api", url], env=_env(home), capture_output=True,
                            text=True, timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _predictions(home: Path, out: Path) -> pd.DataFrame:
    result = subprocess.run([CLI, "predictions", "score-beater", "-o", str(out)], env=_env(home),
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return pd.read_csv(out, dtype={"model_version": str}).drop(columns="made_at")


def _kill_during_training(home: Path, url: str) -> str:
    """Start the sync; once its second retraining (the first that trains) has run 3 s, SIGKILL its group."""
    process = subprocess.Popen([CLI, "sync", "free-throws", "--scores-api", url], env=_env(home),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen, started, deadline = [], 0, time.monotonic() + 600
    try:
        while started < 2:
            assert time.monotonic() < deadline and process.poll() is None, "".join(seen)
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            started += RETRAINING in seen[-1]
        time.sleep(3)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return "".join(seen)


@pytest.mark.slow
def test_sync_killed_during_retraining_ends_like_an_uninterrupted_run(
    database_url: str, tmp_path: Path, uninterrupted: Uninterrupted
) -> None:
    """The killed store on SQLite or PostgreSQL; the reference on SQLite (the numbers must not depend on it)."""
    killed = _home(tmp_path / "killed", uninterrupted.exported)
    (killed / "database_url").write_text(database_url)
    with replay_server(uninterrupted.data, release="all") as url:
        before = _kill_during_training(killed, url)
        models = SavedModelStore(LocalBlobStore(killed / "models"), "score_beater")
        assert models.versions() == ["1"], before  # killed during the training, before a challenger was saved
        restarted = _sync(killed, url)
        third = _sync(killed, url)

    assert "3 retraining runs" in uninterrupted.stdout  # 2011-12 (nothing to train on), 2012-13, 2013-14
    assert restarted.splitlines()[0].startswith(RETRAINING), restarted  # due from the store, first thing
    assert "2 retraining runs" in restarted
    assert "0 retraining runs" in third  # attempted for these labels: not again
    reference = SavedModelStore(LocalBlobStore(uninterrupted.home / "models"), "score_beater")
    assert models.versions() == reference.versions() == ["1", "2", "3"]
    assert models.champion_version() == reference.champion_version()
    for version in ("2", "3"):
        mine, theirs = models.metadata(version), reference.metadata(version)
        assert mine["promotion"]["promoted"] == theirs["promotion"]["promoted"]
        assert mine["metrics"]["log_loss"] == pytest.approx(theirs["metrics"]["log_loss"], abs=1e-6)

    expected = _predictions(uninterrupted.home, tmp_path / "clean.csv")
    got = _predictions(killed, tmp_path / "killed.csv")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-6, atol=1e-7)
    preseason = expected[expected["games_played"] == 0].groupby("season")["model_version"].unique()
    assert list(preseason["2013 - 2014"]) == ["2"]  # the next season comes from the promoted model
