"""The champion/challenger gate judges both models only on games after both training windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from shot_platform.core.gate import TIE, decide_promotion
from shot_platform.core.model_store import ModelStore
from shot_platform.shots.features.frame import FEATURE_COLUMNS, feature_matrix
from shot_platform.shots.features.player import build_player_history
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.held_out import games_after_both_windows, held_out_evaluator
from shot_platform.shots.models.registry import shot_models_at
from shot_platform.shots.models.training import TrainingResult, evaluate_on, train_shot_model
from shot_platform.shots.synthetic import generate_shots
from shot_platform_tests.helpers import cleaned

pytestmark = pytest.mark.slow  # trains models on a 75-game season


@pytest.fixture(scope="module")
def season() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every game but the last date's (what a champion was trained on), every game, and the player history."""
    every = cleaned(generate_shots(games=75, seed=7))
    return every[every["game_date"] < every["game_date"].max()], every, build_player_history(every)


@pytest.fixture(scope="module")
def challenger(season) -> TrainingResult:
    _, every, history = season
    return train_shot_model(every, history)


def date_range(shots: pd.DataFrame) -> list[str]:
    return [str(shots["game_date"].min().date()), str(shots["game_date"].max().date())]


def champion_fit_on(shots: pd.DataFrame, history: pd.DataFrame, estimator, version: str, **metadata) -> ShotModel:
    estimator.fit(feature_matrix(shots, history), shots["FGM"].astype(int).to_numpy())
    return ShotModel(estimator, tuple(FEATURE_COLUMNS), version, metadata={"version": version, **metadata})


def overfit() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=300, max_leaf_nodes=63, min_samples_leaf=5, early_stopping=False)


def store_with_champion(tmp_path: Path, champion: ShotModel) -> ModelStore[ShotModel]:
    models = shot_models_at(tmp_path / "models")
    models.save(champion)
    models.promote(champion.version, "test champion")
    return models


def decide(models: ModelStore[ShotModel], result: TrainingResult, every: pd.DataFrame, history: pd.DataFrame):
    evaluate = held_out_evaluator(every[result.split.test], history)
    return decide_promotion(models, result.model, games_after_both_windows, evaluate)


def test_an_overfit_champion_trained_on_the_challengers_test_games_is_replaced(season, challenger, tmp_path):
    early, every, history = season
    champion = champion_fit_on(early, history, overfit(), "20000101T000000-overfit", train_dates=date_range(early))
    test_shots = every[challenger.split.test]
    seen = test_shots["game_date"] <= early["game_date"].max()
    assert seen.any() and (~seen).any()  # the challenger's test games straddle the champion's training window

    # On the test games it memorised the champion looks far better than the challenger: judging there
    # (what the gate did before) favours it for the wrong reason.
    memorised = test_shots[seen]
    champion_seen = evaluate_on(champion, memorised, history)["log_loss"]
    assert champion_seen < evaluate_on(challenger.model, memorised, history)["log_loss"] - 0.05

    decision = decide(store_with_champion(tmp_path, champion), challenger, every, history)
    assert decision.promoted, decision.reason
    assert decision.held_out is not None
    assert decision.held_out.key == str(early["game_date"].max().date())
    assert decision.held_out.rows == int((~seen).sum())
    assert decision.challenger_log_loss < decision.champion_log_loss
    assert f"after {decision.held_out.key} (after both training windows" in decision.reason


def test_no_games_after_both_windows_means_no_promotion_and_says_so(season, challenger, tmp_path):
    _, every, history = season
    champion = champion_fit_on(every, history, overfit(), "20000101T000000-everything", train_dates=date_range(every))
    decision = decide(store_with_champion(tmp_path, champion), challenger, every, history)
    assert not decision.promoted
    assert decision.held_out is not None and decision.held_out.rows == 0 and decision.champion_log_loss is None
    assert "no game unseen by both models" in decision.reason
    assert f"the champion trained through {date_range(every)[1]}" in decision.reason


def test_a_better_champion_is_kept_on_the_later_games(season, challenger, tmp_path):
    early, every, history = season
    honest = challenger.model  # as champion: trained through its selection games, tested after them
    champion = ShotModel(honest.estimator, honest.feature_columns, "20000101T000000-honest", dict(honest.metadata))
    rng = np.random.default_rng(0)
    weak = LogisticRegression().fit(
        feature_matrix(early, history)[:, :3], rng.permutation(early["FGM"].astype(int).to_numpy())
    )
    noise = ShotModel(_FirstColumns(weak), tuple(FEATURE_COLUMNS), "20990101T000000-noise")
    noise.metadata = {**challenger.model.metadata, "version": noise.version}  # claims to beat the base rate
    models = store_with_champion(tmp_path, champion)
    evaluate = held_out_evaluator(every[challenger.split.test], history)
    decision = decide_promotion(models, noise, games_after_both_windows, evaluate)
    assert not decision.promoted and decision.reason.startswith("not promoted: log loss")
    assert decision.challenger_log_loss > decision.champion_log_loss
    assert decision.held_out is not None and decision.held_out.key == challenger.model.metadata["train_dates"][1]


class _FirstColumns:
    """An estimator that looks at the first three features only (a deliberately weak model)."""

    def __init__(self, estimator) -> None:
        self.estimator = estimator

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(np.asarray(matrix)[:, :3])


def test_a_champion_without_training_dates_is_judged_against_the_base_rate_only(season, challenger, tmp_path):
    early, every, history = season
    champion = champion_fit_on(early, history, overfit(), "20000101T000000-undated")
    decision = decide(store_with_champion(tmp_path, champion), challenger, every, history)
    assert decision.promoted and "records no training window" in decision.reason


def test_an_identical_retrain_ties_and_keeps_the_champion(season, challenger, tmp_path):
    """One promotion rule: strictly lower log loss on the same unseen games. The same model saved again
    under a new version ties, is not promoted, and records both scores."""
    _, every, history = season
    trained = challenger.model
    champion = ShotModel(trained.estimator, trained.feature_columns, "20000101T000000-first", dict(trained.metadata))
    models = store_with_champion(tmp_path, champion)
    again = ShotModel(trained.estimator, trained.feature_columns, "20990101T000000-again", dict(trained.metadata))
    again.metadata["version"] = again.version
    evaluate = held_out_evaluator(every[challenger.split.test], history)
    decision = decide_promotion(models, again, games_after_both_windows, evaluate)
    assert decision.challenger_log_loss == decision.champion_log_loss
    assert not decision.promoted and decision.reason.startswith(TIE)
    assert models.champion_version() == champion.version
