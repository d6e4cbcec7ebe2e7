"""Documented repairs for the known quirks of the shot logs.

Each rule changes a value only where the file is demonstrably inconsistent,
keeps the original where it changes one, and records its name in
``cleaning_notes`` so that nothing is altered silently. The rules (measured on
the October-January file, see README "Data cleaning"):

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

import numpy as np
import pandas as pd

from shot_platform.ingest.validation import parse_game_clock
from shot_platform.schema import ARC_THREE_FT, CORNER_THREE_FT, SHOT_CLOCK_S

LONGEST_TWO_FT = 23.7


def clean_shots(frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the repair rules to valid rows; returns a new frame.

    Adds ``game_clock_s``, ``shot_dist_raw``, ``touch_time_raw`` and
    ``cleaning_notes`` (';'-joined rule names, empty when nothing changed).
    """
    out = frame.copy()
    notes = pd.Series("", index=out.index, dtype="object")

    def note(mask: pd.Series, name: str) -> None:
        nonlocal notes
        notes = notes.where(~mask, np.where(notes == "", name, notes + ";" + name))

    for column in ("SHOT_CLOCK", "TOUCH_TIME", "SHOT_DIST", "CLOSE_DEF_DIST"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in ("PERIOD", "DRIBBLES", "PTS_TYPE", "player_id", "CLOSEST_DEFENDER_PLAYER_ID"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("int64")
    out["game_clock_s"] = parse_game_clock(out["GAME_CLOCK"]).astype(float)

    missing_clock = out["SHOT_CLOCK"].isna()
    clock_off = missing_clock & (out["game_clock_s"] < SHOT_CLOCK_S)
    out.loc[clock_off, "SHOT_CLOCK"] = out.loc[clock_off, "game_clock_s"]
    note(clock_off, "shot_clock_off")
    note(missing_clock & ~clock_off, "shot_clock_missing")

    out["touch_time_raw"] = out["TOUCH_TIME"]
    negative_touch = out["TOUCH_TIME"] < 0
    out.loc[negative_touch, "TOUCH_TIME"] = 0.0
    note(negative_touch, "touch_time_negative")

    out["shot_dist_raw"] = out["SHOT_DIST"]
    short_three = (out["PTS_TYPE"] == 3) & (out["SHOT_DIST"] < CORNER_THREE_FT)
    long_two = (out["PTS_TYPE"] == 2) & (out["SHOT_DIST"] > ARC_THREE_FT)
    out.loc[short_three, "SHOT_DIST"] = CORNER_THREE_FT
    out.loc[long_two, "SHOT_DIST"] = LONGEST_TWO_FT
    note(short_three, "three_inside_line")
    note(long_two, "two_beyond_arc")

    out["cleaning_notes"] = notes
    return out
