"""`shot-platform sync free-throws` and `predictions score-beater` as processes, with a real
SavedModel, against the real replay server (and the real service for the REST scorer)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from dagster import DagsterInstance, DagsterRunStatus
from sqlalchemy import create_engine, func, select

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.sensors import LABELS_TAG
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.saved_models import export_model
from shot_platform_tests.service_process import BIN, running_service, wait_for

CLI = str(BIN / "shot-platform")


# Session scope (built once per worker), not module: the slow tests of this file then run in
# parallel under pytest-xdist (see conftest.py, pytest_xdist_make_scheduler).
@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate_free_throws(seasons=2, first_season=2012, regular_games=60, playoff_games=4, seed=5)
    return write_free_throws(frame, tmp_path_factory.mktemp("sync_cli") / "ft.csv.gz")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "model"
    export_model(path, seed=1)
    return path


def _home(tmp_path: Path, exported: Path | None) -> Path:
    home = tmp_path / "home"
    if exported is not None:
        models = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
        models.promote(models.save(exported, {"train_seasons": [2010, 2011]}), "test")
    return home


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
    return {**env, "SHOT_PLATFORM_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), **extra}


def _run(args: list[str], home: Path, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=_env(home, **extra), capture_output=True, text=True, timeout=timeout)


def _predictions(home: Path, tmp_path: Path, name: str) -> pd.DataFrame:
    out = tmp_path / f"{name}.csv"
    result = _run(["predictions", "score-beater", "-o", str(out)], home)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(out, dtype={"model_version": str})


def test_no_model_and_unreachable_api_are_one_line_errors(tmp_path: Path, data: Path) -> None:
    home = _home(tmp_path, None)
    with replay_server(data, release="all") as url:
        result = _run(["sync", "free-throws", "--scores-api", url], home)
    assert result.returncode == 1
    assert "no score_beater model yet" in result.stderr and "models promote --model score_beater" in result.stderr
    assert "Traceback" not in result.stderr

    result = _run(["sync", "free-throws", "--scores-api", "http://127.0.0.1:9"], home, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no score_beater model yet" in result.stderr or "cannot reach the Scores API" in result.stderr


@pytest.mark.slow
def test_sync_cli_killed_midway_and_restarted_equals_a_clean_run(tmp_path: Path, data: Path, exported: Path) -> None:
    clean = _home(tmp_path / "clean", exported)
    killed = _home(tmp_path / "killed", exported)
    with replay_server(data, release="all") as url:
        result = _run(["sync", "free-throws", "--scores-api", url], clean)
        assert result.returncode == 0, result.stderr
        assert "caught up" in result.stdout and "preseason predictions" in result.stdout

        # Kill the second sync (SIGKILL: no clean-up) once it has recorded some games.
        process = subprocess.Popen(
            [CLI, "sync", "free-throws", "--scores-api", url],
            env=_env(killed), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        engine = create_engine(f"sqlite:///{killed / 'store.db'}")

        def recorded() -> int:
            try:
                with engine.connect() as conn:
                    return int(conn.execute(select(func.count()).select_from(ledger.processed_games)).scalar_one())
            except Exception:
                return 0

        wait_for(lambda: recorded() >= 60, timeout=300, interval=0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert recorded() < 128  # it was stopped before the end
        result = _run(["sync", "free-throws", "--scores-api", url], killed)
        assert result.returncode == 0, result.stderr

    first = _predictions(clean, tmp_path, "clean").drop(columns="made_at")
    second = _predictions(killed, tmp_path, "killed").drop(columns="made_at")
    pd.testing.assert_frame_equal(first, second)
    assert list(first.columns) == ["season", "player", "games_played", "probability", "model_version"]
    assert set(first["season"]) == {"2013 - 2014"} and first["games_played"].min() == 0
    assert first["model_version"].eq("1").all()
    for table in ("free_throws", "free_throw_player_games", "free_throw_player_features", "free_throw_labels"):
        counts = [
            pd.read_sql(f"select count(*) from {table}", create_engine(f"sqlite:///{home / 'store.db'}")).iat[0, 0]
            for home in (clean, killed)
        ]
        assert counts[0] == counts[1] > 0, table


@pytest.mark.slow
def test_rest_scorer_gives_the_same_numbers_as_in_process(tmp_path: Path, data: Path, exported: Path) -> None:
    """SHOT_PLATFORM_SCORE_BEATER_URL: the same predictions through the real service's TF Serving REST API."""
    local = _home(tmp_path / "local", exported)
    remote = _home(tmp_path / "remote", exported)
    env = {"SHOT_PLATFORM_HOME": str(remote / "service")}
    served = SavedModelStore(LocalBlobStore(remote / "service" / "models"), "score_beater")
    served.promote(served.save(exported, {}), "test")
    with replay_server(data, release="all") as url:
        assert _run(["sync", "free-throws", "--scores-api", url], local).returncode == 0
        log = tmp_path / "service.log"
        with running_service([CLI, "serve", "--host", "127.0.0.1"], env, log) as service:
            wait_for(lambda: requests.get(f"{service}/readyz", timeout=5).status_code == 200, timeout=90)
            result = _run(["sync", "free-throws", "--scores-api", url], remote, SHOT_PLATFORM_SCORE_BEATER_URL=service)
            assert result.returncode == 0, result.stderr
    in_process = _predictions(local, tmp_path, "local")
    over_rest = _predictions(remote, tmp_path, "remote")
    assert len(in_process) == len(over_rest) > 0
    np.testing.assert_allclose(over_rest["probability"], in_process["probability"], rtol=1e-6, atol=1e-7)


@pytest.mark.slow
def test_retraining_at_season_boundaries_promotes_only_a_better_model(tmp_path: Path, exported: Path) -> None:
    """Four small seasons: labels complete at each regular season's end; with at least one new
    labelled player-season (the threshold set to 1) score_beater is retrained there, judged with the
    champion on that season, and the next season's preseason predictions come from the champion then."""
    frame = generate_free_throws(seasons=4, first_season=2010, regular_games=40, playoff_games=2, seed=8)
    data = write_free_throws(frame, tmp_path / "four.csv.gz")
    home = tmp_path / "home"
    models = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
    models.promote(models.save(exported, {}), "test: an untrained-looking first model")
    with replay_server(data, release="all") as url:
        result = _run(["sync", "free-throws", "--scores-api", url], home, SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS="1")
    assert result.returncode == 0, result.stderr
    assert "no complete labelled season before 2011-12" in result.stdout  # nothing to train on yet
    # The command ran the code location's jobs (recorded in the instance), not an inline retraining:
    # a games run per season (after one of no game), a retraining run at the end of 2011-12, 2012-13
    # and 2013-14, each for its own labels.
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        retraining = [run.tags[LABELS_TAG] for run in runs if run.job_name == "retrain_score_beater"]
        games = [run for run in runs if run.job_name == "sync_free_throw_games"]
    assert all(run.status == DagsterRunStatus.SUCCESS for run in runs)
    assert sorted(key.rsplit("-", 1)[1] for key in retraining) == ["2011", "2012", "2013"]
    assert len(games) == 1 + 4

    versions = models.versions()
    assert len(versions) == 3  # the first model, then one challenger at the end of 2012-13 and of 2013-14
    second, third = (models.metadata(v) for v in versions[1:])
    assert second["train_seasons"] == [2011] and second["test_seasons"] == [2012]
    assert third["train_seasons"] == [2011, 2012] and third["test_seasons"] == [2013]
    for meta in (second, third):
        decision = meta["promotion"]
        assert decision["promoted"] == (meta["metrics"]["log_loss"] < decision["champion_log_loss"]), decision
    assert second["promotion"]["promoted"], "a model trained on real labels beats the untrained one"

    predictions = _predictions(home, tmp_path, "retrained")
    by_season = predictions.groupby("season")
    # Preseason predictions: 2011-12 and 2012-13 from the first model; 2013-14 after the retraining.
    preseason = predictions[predictions["games_played"] == 0].groupby("season")["model_version"].unique()
    assert list(preseason["2011 - 2012"]) == ["1"] and list(preseason["2012 - 2013"]) == ["1"]
    assert list(preseason["2013 - 2014"]) == ["2"]
    assert set(by_season.get_group("2013 - 2014")["model_version"]) == {"2"}
    champion = models.champion_version()
    assert champion == ("3" if third["promotion"]["promoted"] else "2")
