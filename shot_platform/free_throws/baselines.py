"""scikit-learn baselines on the same snapshot rows and raw inputs as the MLP.

Features are a few plain ratios of the raw counts, normalised by the schedule (rates per team
game, so the 66-game 2011-12 season is comparable) -- the baselines answer "how much does the
MLP add over a standard model on sensible features?". HistGradientBoosting runs on one OpenMP
thread: its spinning threads make it 10-100x slower on a shared 2-core machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from shot_platform.free_throws.labels import BEAT

TEAMS = 30
SHRINKAGE_TEAM_GAMES = 15.0

SIMPLE_FEATURE_NAMES: tuple[str, ...] = (
    "last_made",
    "last_attempted",
    "last_games_share",
    "made",
    "attempted",
    "games_share",
    "season_share",
    "last_rate",
    "pace",
    "needed",
    "log_projection_over_last",
    "before_last_missing",
    "before_last_rate",
)


def simple_features(frame: pd.DataFrame) -> np.ndarray:
    """Plain, schedule-normalised ratios of the raw inputs (columns ``SIMPLE_FEATURE_NAMES``)."""
    x = {name: frame[name].to_numpy(np.float64) for name in frame.columns if name not in ("player",)}
    team_games = x["scheduled_games"] * 2 / TEAMS
    last_team_games = x["last_scheduled_games"] * 2 / TEAMS
    played = x["season_share"] * team_games
    last_rate = x["last_made"] / last_team_games
    pace = x["made"] / np.maximum(played, 1.0)
    blended = (x["made"] + SHRINKAGE_TEAM_GAMES * last_rate) / (played + SHRINKAGE_TEAM_GAMES)
    projection = x["made"] + (team_games - played) * blended
    before_team_games = x["before_last_scheduled_games"] * 2 / TEAMS
    return np.column_stack(
        [
            x["last_made"],
            x["last_attempted"],
            x["last_games"] / last_team_games,
            x["made"],
            x["attempted"],
            x["games"] / np.maximum(played, 1.0),
            x["season_share"],
            last_rate,
            pace,
            x["last_made"] - x["made"],
            np.log((projection + 1.0) / (x["last_made"] + 1.0)),
            (x["before_last_games"] == 0).astype(np.float64),
            x["before_last_made"] / before_team_games,
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


__all__ = [
    "SIMPLE_FEATURE_NAMES",
    "fit_hist_gradient_boosting",
    "fit_logistic_regression",
    "predict_baseline",
    "simple_features",
]
