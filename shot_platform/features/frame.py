"""The model's input frame, built the same way for training, batch and HTTP scoring."""

from __future__ import annotations

import pandas as pd

from shot_platform.features.context import context_features
from shot_platform.features.player import PlayerRecords, player_features
from shot_platform.features.zones import ZONES
from shot_platform.schema import OUTCOME_COLUMNS

FEATURE_SET_VERSION = "2"


def build_features(shots: pd.DataFrame, history: pd.DataFrame | PlayerRecords) -> pd.DataFrame:
    """Feature frame for cleaned shots, using only player records before each game.

    Outcome columns are dropped first, so whatever a caller passes in, a label
    or a post-game fact can never reach a model. ``history`` is the history
    table, its current profiles, or a prebuilt PlayerRecords index of either.
    """
    context_only = shots.drop(columns=[c for c in shots.columns if c in OUTCOME_COLUMNS])
    columns = context_features(context_only) | player_features(context_only, history)
    return pd.DataFrame({name: columns[name] for name in FEATURE_COLUMNS}, index=shots.index)


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
