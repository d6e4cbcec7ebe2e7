"""The model's input frame, built the same way for training, batch and HTTP scoring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.shots.features.context import context_features
from shot_platform.shots.features.player import PlayerRecords, player_features
from shot_platform.shots.features.zones import ZONES
from shot_platform.shots.schema import OUTCOME_COLUMNS

FEATURE_SET_VERSION = "2"


def feature_columns(shots: Mapping[str, Any], history: pd.DataFrame | PlayerRecords) -> dict[str, np.ndarray]:
    """Every feature as an array, for cleaned shots given as a DataFrame or a dict of arrays.

    Outcome columns are dropped first, so whatever a caller passes in, a label
    or a post-game fact can never reach a model. ``history`` is the history
    table, its current profiles, or a prebuilt PlayerRecords index of either.
    Player records come from before each shot's ``game_date``.
    """
    context_only = {name: column for name, column in shots.items() if name not in OUTCOME_COLUMNS}
    return context_features(context_only) | player_features(context_only, history)


def build_features(shots: pd.DataFrame, history: pd.DataFrame | PlayerRecords) -> pd.DataFrame:
    """Feature frame (FEATURE_COLUMNS, in order) for cleaned shots; see :func:`feature_columns`."""
    columns = feature_columns(shots, history)
    return pd.DataFrame({name: columns[name] for name in FEATURE_COLUMNS}, index=shots.index)


def feature_matrix(shots: Mapping[str, Any], history: pd.DataFrame | PlayerRecords) -> np.ndarray:
    """The same features as a float matrix, without a DataFrame: the HTTP service's path."""
    columns = feature_columns(shots, history)
    return np.column_stack([np.asarray(columns[name], dtype=float) for name in FEATURE_COLUMNS])


FEATURE_COLUMNS: tuple[str, ...] = (
    "shot_dist",
    "close_def_dist",
    "log_close_def_dist",
    "def_dist_per_shot_dist",
    "shot_clock",
    "shot_clock_missing",
    "shot_clock_late",
    "dribbles",
    "touch_time",
    "period",
    "overtime",
    "game_clock_s",
    "is_home",
    "is_three",
    "zone_rim",
    "zone_paint",
    "zone_mid",
    "zone_three",
    "league_zone_fg",
    "shooter_zone_fg",
    "shooter_fg",
    "shooter_zone_edge",
    "shooter_log_attempts",
    "defender_zone_fg",
    "defender_fg",
    "defender_zone_edge",
    "defender_log_attempts",
    *(f"{role}_share_{zone}" for role in ("shooter", "defender") for zone in ZONES),
)
