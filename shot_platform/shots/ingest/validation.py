"""Row-level validation of shot-log rows: which rows are unusable, and why.

A rejected row is never dropped silently: the reason returned here is what the
quarantine table stores next to the raw row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shot_platform.shots.schema import COURT_LENGTH_FT, SHOT_CLOCK_S

MATCHUP_PATTERN = r"^([A-Z]{3} \d{1,2}, \d{4}) - ([A-Z]{2,4}) (@|vs\.) ([A-Z]{2,4})$"
GAME_CLOCK_PATTERN = r"^(\d{1,2}):(\d{2})$"
MAX_PERIOD = 10  # four quarters and up to six overtimes


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _is_integer(values: pd.Series) -> pd.Series:
    return values.notna() & np.isclose(values.fillna(0) % 1, 0)


_GAME_CLOCK = re.compile(GAME_CLOCK_PATTERN)


def period_seconds(period: int) -> int:
    """Length of a period: 12 minutes, 5 for overtimes (periods 5 and up)."""
    return 300 if period > 4 else 720


def clock_seconds(text: object) -> float:
    """'M:SS' -> seconds left in the period; NaN when not a clock."""
    match = _GAME_CLOCK.match(str(text).strip()) if isinstance(text, str) else None
    if match is None or int(match[2]) >= 60:
        return np.nan
    return int(match[1]) * 60.0 + int(match[2])


def parse_game_clock(clock: pd.Series) -> pd.Series:
    """'M:SS' left in the period -> seconds (float, NaN where unparseable)."""
    return pd.Series([clock_seconds(text) for text in clock], index=clock.index, dtype=float)


def parse_matchup(matchup: pd.Series) -> pd.DataFrame:
    """MATCHUP -> game_date, team, is_away, opponent (NaN/NaT where unparseable)."""
    parts = matchup.astype("string").str.strip().str.extract(MATCHUP_PATTERN)
    date = pd.to_datetime(parts[0].str.title(), format="%b %d, %Y", errors="coerce")
    return pd.DataFrame(
        {
            "game_date": date,
            "team": parts[1],
            "is_away": (parts[2] == "@").fillna(False).astype(bool),
            "opponent": parts[3],
        },
        index=matchup.index,
    )


class _Reasons:
    """Collects one message per failed rule per row."""

    def __init__(self, index: pd.Index) -> None:
        self.messages = pd.Series("", index=index, dtype="object")

    def add(self, failed: pd.Series, message: str) -> None:
        failed = failed.fillna(True).astype(bool)
        if failed.any():
            current = self.messages[failed]
            self.messages[failed] = np.where(current == "", message, current + "; " + message)


def _require(frame: pd.DataFrame, column: str, reasons: _Reasons) -> pd.Series | None:
    if column not in frame.columns:
        reasons.add(pd.Series(True, index=frame.index), f"{column} column is missing")
        return None
    return _numeric(frame[column])


def rejection_reasons(frame: pd.DataFrame, require_outcome: bool) -> pd.Series:
    """One string per row: empty when the row is usable, else every rule it breaks.

    ``require_outcome`` is True for ingest (the store holds labelled shots) and
    False for scoring, where outcome columns are ignored entirely.
    """
    reasons = _Reasons(frame.index)
    # A stored shot needs its key; a shot to score needs only the two players.
    keys = ("GAME_ID", "player_id", "SHOT_NUMBER") if require_outcome else ("player_id",)
    for key in (*keys, "CLOSEST_DEFENDER_PLAYER_ID"):
        values = _require(frame, key, reasons)
        if values is not None:
            reasons.add(~_is_integer(values) | (values < 0), f"{key} is missing or not a non-negative integer")

    if "MATCHUP" in frame.columns:
        matchup = parse_matchup(frame["MATCHUP"])
        reasons.add(matchup["game_date"].isna(), "MATCHUP is not 'MON DD, YYYY - TEAM @|vs. TEAM'")
        if "LOCATION" in frame.columns:
            expected = np.where(matchup["is_away"], "A", "H")
            reasons.add(
                matchup["game_date"].notna() & (frame["LOCATION"].astype("string") != expected),
                "LOCATION disagrees with MATCHUP ('@' is away, 'vs.' is home)",
            )
    elif require_outcome:
        reasons.add(pd.Series(True, index=frame.index), "MATCHUP column is missing")

    location = frame["LOCATION"] if "LOCATION" in frame.columns else pd.Series(pd.NA, index=frame.index)
    reasons.add(~location.isin(["H", "A"]), "LOCATION must be H or A")

    period = _require(frame, "PERIOD", reasons)
    if period is not None:
        reasons.add(~_is_integer(period) | (period < 1) | (period > MAX_PERIOD), f"PERIOD must be 1..{MAX_PERIOD}")
    if "GAME_CLOCK" in frame.columns:
        clock = parse_game_clock(frame["GAME_CLOCK"])
        reasons.add(clock.isna(), "GAME_CLOCK is not 'M:SS'")
        if period is not None:
            period_length = np.where(period > 4, period_seconds(5), period_seconds(1))
            reasons.add(clock > period_length, "GAME_CLOCK is longer than the period")
    else:
        reasons.add(pd.Series(True, index=frame.index), "GAME_CLOCK column is missing")

    shot_clock = _numeric(frame["SHOT_CLOCK"]) if "SHOT_CLOCK" in frame.columns else None
    if shot_clock is not None:
        bad = (shot_clock < 0) | (shot_clock > SHOT_CLOCK_S)
        bad |= frame["SHOT_CLOCK"].notna() & shot_clock.isna()
        reasons.add(bad, f"SHOT_CLOCK must be empty or within 0..{SHOT_CLOCK_S:g} s")

    dribbles = _require(frame, "DRIBBLES", reasons)
    if dribbles is not None:
        reasons.add(~_is_integer(dribbles) | (dribbles < 0), "DRIBBLES must be a non-negative integer")
    touch = _require(frame, "TOUCH_TIME", reasons)
    if touch is not None:
        reasons.add(touch.isna(), "TOUCH_TIME is missing or not a number")
    for column in ("SHOT_DIST", "CLOSE_DEF_DIST"):
        values = _require(frame, column, reasons)
        if values is not None:
            reasons.add(
                values.isna() | (values < 0) | (values > COURT_LENGTH_FT),
                f"{column} must be a distance within 0..{COURT_LENGTH_FT:g} ft",
            )
    pts_type = _require(frame, "PTS_TYPE", reasons)
    if pts_type is not None:
        reasons.add(~pts_type.isin([2, 3]), "PTS_TYPE must be 2 or 3")

    if require_outcome:
        _outcome_reasons(frame, pts_type, reasons)
    return reasons.messages


def _outcome_reasons(frame: pd.DataFrame, pts_type: pd.Series | None, reasons: _Reasons) -> None:
    """Labels must be present and agree with each other, or the label is unknown."""
    fgm = _require(frame, "FGM", reasons)
    if fgm is None:
        return
    reasons.add(~fgm.isin([0, 1]), "FGM must be 0 or 1")
    if "SHOT_RESULT" in frame.columns:
        result = frame["SHOT_RESULT"].astype("string").str.strip().str.lower()
        reasons.add(~result.isin(["made", "missed"]), "SHOT_RESULT must be 'made' or 'missed'")
        reasons.add(
            result.isin(["made", "missed"]) & fgm.isin([0, 1]) & ((result == "made") != (fgm == 1)),
            "SHOT_RESULT disagrees with FGM",
        )
    if "FINAL_MARGIN" in frame.columns:
        margin = _numeric(frame["FINAL_MARGIN"])
        present = frame["FINAL_MARGIN"].notna()
        reasons.add(present & ~_is_integer(margin), "FINAL_MARGIN must be empty or a whole number")
    if "W" in frame.columns:
        reasons.add(frame["W"].notna() & ~frame["W"].isin(["W", "L"]), "W must be empty, W or L")
    if "PTS" in frame.columns and pts_type is not None:
        pts = _numeric(frame["PTS"])
        reasons.add(
            fgm.isin([0, 1]) & pts_type.isin([2, 3]) & (pts != fgm * pts_type),
            "PTS disagrees with FGM x PTS_TYPE",
        )
