"""Documented repairs for the known quirks of the shot logs.

Each rule changes a value only where the file is demonstrably inconsistent,
keeps the original where it changes one, and records its name in
``cleaning_notes`` so that nothing is altered silently. The rules (measured on
the October-January file, see docs/validation.md, "Data cleaning"):

- ``shot_clock_off``: SHOT_CLOCK is empty and under 24 s remain in the period:
  the shot clock was switched off, so the time left is the game clock.
- ``shot_clock_missing``: SHOT_CLOCK is empty otherwise: it stays empty and the
  feature code imputes it (with an indicator feature).
- ``touch_time_negative``: TOUCH_TIME below zero is a tracking error: set to 0.
- ``three_inside_line`` / ``two_beyond_arc``: PTS_TYPE is the official
  scorer's record (threes under 22 ft are made at the three-point rate, 35%),
  so SHOT_DIST, the tracking estimate, is moved to the nearest distance
  consistent with it (22.0 ft or 23.7 ft). The raw distance is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.shots.rules import clock_seconds
from shot_platform.shots.schema import ARC_THREE_FT, CORNER_THREE_FT, SHOT_CLOCK_S

LONGEST_TWO_FT = 23.7


def _notes(*rules: tuple[np.ndarray, str]) -> np.ndarray:
    """';'-joined names of the rules that fired, per row."""
    notes = np.full(len(rules[0][0]), "", dtype=object)
    for fired, name in rules:
        notes = np.where(fired, np.where(notes == "", name, notes + ";" + name), notes)
    return notes


def _numbers(values, dtype=float) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(dtype, copy=False)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=dtype)


def clean_columns(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The repair rules on a column mapping (a DataFrame, or a dict of arrays in the service).

    Returns the repaired and added columns: the cleaned SHOT_CLOCK, TOUCH_TIME,
    SHOT_DIST, CLOSE_DEF_DIST, the integer columns, and ``game_clock_s``,
    ``shot_dist_raw``, ``touch_time_raw``, ``cleaning_notes``.
    """
    shot_clock = _numbers(columns["SHOT_CLOCK"])
    touch_raw = _numbers(columns["TOUCH_TIME"])
    dist_raw = _numbers(columns["SHOT_DIST"])
    pts_type = _numbers(columns["PTS_TYPE"], np.int64)
    game_clock_s = np.array([clock_seconds(text) for text in columns["GAME_CLOCK"]], dtype=float)

    missing_clock = np.isnan(shot_clock)
    clock_off = missing_clock & (game_clock_s < SHOT_CLOCK_S)
    negative_touch = touch_raw < 0
    short_three = (pts_type == 3) & (dist_raw < CORNER_THREE_FT)
    long_two = (pts_type == 2) & (dist_raw > ARC_THREE_FT)
    dist = np.where(short_three, CORNER_THREE_FT, np.where(long_two, LONGEST_TWO_FT, dist_raw))

    integers = ("PERIOD", "DRIBBLES", "player_id", "CLOSEST_DEFENDER_PLAYER_ID")
    return {
        "SHOT_CLOCK": np.where(clock_off, game_clock_s, shot_clock),
        "TOUCH_TIME": np.where(negative_touch, 0.0, touch_raw),
        "SHOT_DIST": dist,
        "CLOSE_DEF_DIST": _numbers(columns["CLOSE_DEF_DIST"]),
        "PTS_TYPE": pts_type,
        **{column: _numbers(columns[column], np.int64) for column in integers},
        "game_clock_s": game_clock_s,
        "touch_time_raw": touch_raw,
        "shot_dist_raw": dist_raw,
        "cleaning_notes": _notes(
            (clock_off, "shot_clock_off"),
            (missing_clock & ~clock_off, "shot_clock_missing"),
            (negative_touch, "touch_time_negative"),
            (short_three, "three_inside_line"),
            (long_two, "two_beyond_arc"),
        ),
    }


def clean_shots(frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the repair rules to valid rows; returns a new frame with the columns of
    :func:`clean_columns` replaced or added."""
    return frame.assign(**clean_columns(frame))
