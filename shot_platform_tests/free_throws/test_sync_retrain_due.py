"""Retraining is due from what the store says, not from the batch that completed a season (issue 13, item 1).

In process, with a stand-in trainer (it writes a file where the SavedModel goes and answers with chosen
probabilities, so the gate's decision is known) and the counting stand-in scorer: a sync stopped during
the retraining retrains when it restarts; a challenger the gate rejected is not trained again for the
same labels; a challenger saved by a retraining stopped before it was recorded is promoted, not
trained again. The real thing (the CLI killed with SIGKILL during the Keras training) is in
``test_sync_retrain_killed.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.labels import BEAT
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.stand_in_scorers import LinearScorer, stand_in_load_check

FIRST = 2010  # 2010-11 history; 2011-12 and 2012-13 predicted and labelled


class Killed(BaseException):
    """What a SIGKILL does to the sync: nothing after it runs (not even ``except Exception``)."""


class StandInTrainer:
    """Answers the judged rows with ``probability(labels)``; raises ``Killed`` on the calls in ``kill_on``."""

    def __init__(self, probability: Callable[[np.ndarray], np.ndarray], kill_on: tuple[int, ...] = ()) -> None:
        self.probability = probability
        self.kill_on = kill_on
        self.calls = 0

    def __call__(self, data, path: Path) -> dict:
        self.calls += 1
        if self.calls in self.kill_on:
            raise Killed
        path.mkdir(parents=True)
        (path / "saved_model.pb").write_bytes(b"stand-in")
        return {"epochs": 1, "probe_probabilities": self.probability(data.probe[BEAT].to_numpy()).tolist()}


def _rejected(labels: np.ndarray) -> np.ndarray:
    return np.where(labels == 1, 0.1, 0.9)  # worse than the base rate: never promoted


def _promoted(labels: np.ndarray) -> np.ndarray:
    return np.where(labels == 1, 0.9, 0.1)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):
    frame = generate_free_throws(seasons=3, first_season=FIRST, regular_games=30, playoff_games=2, seed=8)
    data = write_free_throws(frame, tmp_path_factory.mktemp("retrain_due") / "ft.csv.gz")
    with replay_server(data, release="all") as url:
        yield url


def _models(tmp_path: Path) -> SavedModelStore:
    models = SavedModelStore(LocalBlobStore(tmp_path / "models"), "score_beater", load_check=stand_in_load_check)
    first = tmp_path / "first"
    first.mkdir()
    (first / "saved_model.pb").write_bytes(b"stand-in")
    models.promote(models.save(first, {}), "test: the first model")
    return models


def _sync(database_url: str, models: SavedModelStore, api: str, trainer: StandInTrainer):
    store = FreeThrowStore(database_url)
    try:
        return sync_free_throws(store, models, ScoresApiClient(api), scorer=LinearScorer(),
                                retrain_min_new_labels=1, trainer=trainer)  # fmt: skip
    finally:
        store.dispose()


@pytest.mark.slow
def test_stopped_retraining_runs_on_restart_and_a_rejected_one_never_again(
    database_url: str, tmp_path: Path, api: str
) -> None:
    models = _models(tmp_path)
    trainer = StandInTrainer(_rejected, kill_on=(1,))
    with pytest.raises(Killed):  # stopped during the retraining at the end of 2012-13
        _sync(database_url, models, api, trainer)
    assert trainer.calls == 1 and models.versions() == ["1"]

    restarted = _sync(database_url, models, api, trainer)
    assert trainer.calls == 2  # due from the store: the restart retrains before anything else
    [outcome] = restarted.retrained
    assert outcome["judge_season"] == FIRST + 2 and outcome["train_seasons"] == [FIRST + 1]
    assert not outcome["promoted"] and "no better than the base rate" in outcome["reason"]
    assert models.versions() == ["1", "2"] and models.champion_version() == "1"

    again = _sync(database_url, models, api, trainer)
    assert trainer.calls == 2 and again.retrained == []  # rejected for these labels: not trained again
    assert "0 retraining runs" in again.summary()


@pytest.mark.slow
def test_a_challenger_saved_before_the_stop_is_promoted_not_trained_again(
    database_url: str, tmp_path: Path, api: str
) -> None:
    models = _models(tmp_path)
    trainer = StandInTrainer(_promoted)
    first = _sync(database_url, models, api, trainer)
    assert trainer.calls == 1 and [o["promoted"] for o in first.retrained] == [False, True]
    assert models.champion_version() == "2"

    # As if the sync had been killed after saving version 2, before promoting it and recording the attempt.
    models.promote("1", "test: back to the first model")
    store = FreeThrowStore(database_url)
    with store.engine.begin() as conn:
        conn.execute(
            delete(ledger.flow_state).where(ledger.flow_state.c.name == f"{ledger.RETRAIN_ATTEMPT}{FIRST + 2}")
        )
    store.dispose()

    resumed = _sync(database_url, models, api, trainer)
    assert trainer.calls == 1  # not trained again
    [outcome] = resumed.retrained
    assert (
        outcome["promoted"]
        and outcome["version"] == "2"
        and "saved by a retraining that was stopped" in outcome["reason"]
    )
    assert models.versions() == ["1", "2"] and models.champion_version() == "2"


@pytest.mark.slow
def test_nothing_is_trained_or_stored_when_the_champion_saw_every_training_season(
    database_url: str, tmp_path: Path, api: str
) -> None:
    """The champion trained on 2011-12 and was judged on 2012-13 (as the first model of a store is): a
    challenger judged on 2012-13 would train on 2011-12 again and could only tie. Nothing retrains,
    the registry keeps its one version, and the next sync does not try again."""
    models = SavedModelStore(LocalBlobStore(tmp_path / "models"), "score_beater", load_check=stand_in_load_check)
    first = tmp_path / "first"
    first.mkdir()
    (first / "saved_model.pb").write_bytes(b"stand-in")
    models.promote(models.save(first, {"train_seasons": [FIRST + 1], "test_seasons": [FIRST + 2]}), "first model")
    trainer = StandInTrainer(_promoted)

    report = _sync(database_url, models, api, trainer)

    assert trainer.calls == 0 and models.versions() == ["1"] and models.champion_version() == "1"
    assert [o["reason"] for o in report.retrained] == [
        "not retrained: nothing new to learn (champion 1 trained on 2011-12 already)"
    ]
    again = _sync(database_url, models, api, trainer)
    assert trainer.calls == 0 and again.retrained == [] and models.versions() == ["1"]
