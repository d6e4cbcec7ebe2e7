"""scikit-learn baselines on the same snapshot rows and raw inputs as the MLP.

Features are a dozen plain ratios of the raw inputs, normalised by the schedule (rates per team
game, so the 66-game 2011-12 season is comparable): the baselines answer "how much does the MLP
add over a standard model on sensible features?". HistGradientBoosting runs on one OpenMP
thread: its spinning threads make it 10-100x slower on a shared 2-core machine.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from shot_platform.free_throws.evaluation import evaluate
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.labels import BEAT, RESCALED

TEAMS = 30
SHRINKAGE_TEAM_GAMES = 15.0

SIMPLE_FEATURE_NAMES: tuple[str, ...] = (
    "last_rate",
    "last_attempt_rate",
    "last_availability",
    "before_last_known",
    "before_last_absent",
    "before_last_rate",
    "season_share",
    "pace",
    "availability",
    "log_projection_over_last",
    "needed_per_game_left",
    "already_beaten",
)


def simple_features(frame: pd.DataFrame) -> np.ndarray:
    """Plain ratios of the raw inputs per team game (columns ``SIMPLE_FEATURE_NAMES``)."""
    x = {name: frame[name].to_numpy(np.float64) for name in INPUT_NAMES}
    team_games = x["scheduled_games"] * 2 / TEAMS
    last_team_games = x["last_scheduled_games"] * 2 / TEAMS
    known = (x["before_last_scheduled_games"] > 0).astype(np.float64)
    before_team_games = np.maximum(x["before_last_scheduled_games"] * 2 / TEAMS, 1.0)
    played = x["season_share"] * team_games
    left = team_games - played
    last_rate = x["last_made"] / last_team_games
    blended = (x["made"] + SHRINKAGE_TEAM_GAMES * last_rate) / (played + SHRINKAGE_TEAM_GAMES)
    return np.column_stack(
        [
            last_rate,
            x["last_attempted"] / last_team_games,
            x["last_games"] / last_team_games,
            known,
            known * (x["before_last_games"] == 0),
            known * x["before_last_made"] / before_team_games,
            x["season_share"],
            x["made"] / np.maximum(played, 1.0),
            x["games"] / np.maximum(played, 1.0),
            np.log((x["made"] + left * blended + 1.0) / (x["last_made"] + 1.0)),
            (x["last_made"] - x["made"]) / np.maximum(left, 1.0),
            (x["made"] > x["last_made"]).astype(np.float64),
        ]
    )


def fit_logistic_regression(train: pd.DataFrame, seed: int = 0) -> Pipeline:
    """Standardised simple features -> L2 logistic regression (C=1)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000, random_state=seed))
    return model.fit(simple_features(train), train[BEAT].to_numpy())


def fit_hist_gradient_boosting(train: pd.DataFrame, seed: int = 0) -> HistGradientBoostingClassifier:
    """Default HistGradientBoosting (100 trees, 31 leaves, rate 0.1) on the simple features, one thread."""
    model = HistGradientBoostingClassifier(random_state=seed)
    with threadpool_limits(limits=1):
        return model.fit(simple_features(train), train[BEAT].to_numpy())


def predict_baseline(model: Pipeline | HistGradientBoostingClassifier, frame: pd.DataFrame) -> np.ndarray:
    """Beat probabilities of a fitted baseline."""
    with threadpool_limits(limits=1):
        return model.predict_proba(simple_features(frame))[:, 1]


LOGISTIC_REGRESSION = "logistic regression"
HIST_GRADIENT_BOOSTING = "HistGradientBoosting"


def base_rate_name(base_rate: float) -> str:
    return f"base rate ({base_rate:.3f})"


def baseline_reports(
    train: pd.DataFrame, judged: pd.DataFrame, seed: int = 0
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(reports, fit seconds) of the base rate and both baselines trained on ``train``, judged on
    ``judged`` (``evaluation_rows``). The base rate is the beat share of the real training rows.

    Rows chosen per baseline on the selection season: logistic regression did better on the real
    rows only (log loss 0.3053 against 0.3094), HistGradientBoosting with the schedule-rescaled
    copies (0.3171 against 0.3431).
    """
    real = train[~train[RESCALED]]
    base_rate = float(real[BEAT].mean())
    reports = {base_rate_name(base_rate): evaluate(judged, np.full(len(judged), base_rate), base_rate)}
    seconds: dict[str, float] = {}
    for name, fit, rows in (
        (LOGISTIC_REGRESSION, fit_logistic_regression, real),
        (HIST_GRADIENT_BOOSTING, fit_hist_gradient_boosting, train),
    ):
        started = time.perf_counter()
        baseline = fit(rows, seed)
        seconds[name] = time.perf_counter() - started
        reports[name] = evaluate(judged, predict_baseline(baseline, judged), base_rate)
    return reports, seconds


__all__ = [
    "HIST_GRADIENT_BOOSTING",
    "LOGISTIC_REGRESSION",
    "SIMPLE_FEATURE_NAMES",
    "base_rate_name",
    "baseline_reports",
    "fit_hist_gradient_boosting",
    "fit_logistic_regression",
    "predict_baseline",
    "simple_features",
]
