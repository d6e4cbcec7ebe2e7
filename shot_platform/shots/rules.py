"""The shot-logs validation rules: the one declaration every check of a shot is derived from.

Ingest and ``predict shots`` (``ingest.validation``), the ``/predict`` request
schema (``serving.schema``) and the blocking ``raw_shots`` check
(``checks.raw_shots``) all read these rules; docs/validation.md is the
table of them. Bounds give the store's column type or the game's facts as
their reason. Measured on the real October-January file: ids have 3-8 digits,
SHOT_NUMBER reaches 37, DRIBBLES 32, FINAL_MARGIN ±53, TOUCH_TIME -163.6..24.9,
names 25 characters.
"""

from __future__ import annotations

import datetime as dt
import re

from shot_platform.core.rules import ColumnRule, Derived, RowRule, RuleSet
from shot_platform.shots.schema import (
    CONTEXT_COLUMNS,
    COURT_LENGTH_FT,
    OUTCOME_COLUMNS,
    SHOT_CLOCK_S,
    SHOT_LOG_COLUMNS,
)

MATCHUP_PATTERN = r"^([A-Z]{3} [0-9]{1,2}, [0-9]{4}) - ([A-Z]{2,4}) (@|vs\.) ([A-Z]{2,4})$"
GAME_CLOCK_PATTERN = r"^([0-9]{1,2}):([0-5][0-9])$"
MAX_PERIOD = 10  # four quarters and up to six overtimes
MAX_ID = 9_999_999_999  # NBA ids have at most 10 digits; exact in float64 and within the store's BIGINT
QUARTER_S, OVERTIME_S = 720, 300

_GAME_CLOCK = re.compile(GAME_CLOCK_PATTERN)


def clock_seconds(text: object) -> float:
    """'M:SS' -> seconds left in the period; NaN when not a clock."""
    match = _GAME_CLOCK.match(text) if isinstance(text, str) else None
    return int(match[1]) * 60.0 + int(match[2]) if match else float("nan")


def _is_away(matchup: str) -> bool:
    return " @ " in matchup


def _is_a_date(matchup: str) -> bool:
    """The pattern admits 'FEB 30, 2015'; the calendar does not."""
    try:
        dt.datetime.strptime(matchup.split(" - ")[0].title(), "%b %d, %Y")
    except ValueError:
        return False
    return True


def _id(column: str, what: str) -> ColumnRule:
    return ColumnRule(column, "integer", minimum=0, maximum=MAX_ID, reason=f"{what}: NBA ids have at most 10 digits")


def _distance(column: str, stored_as: str | None = None) -> ColumnRule:
    return ColumnRule(
        column, "number", minimum=0, maximum=COURT_LENGTH_FT, reason="feet; a court is 94 ft long", stored_as=stored_as
    )


def _name(column: str) -> ColumnRule:
    return ColumnRule(column, "text", max_length=64, required=False, is_name=True, reason="the store's VARCHAR(64)")


SHOT_RULES = RuleSet(
    name="shot logs",
    columns=(
        _id("GAME_ID", "part of the shot key"),
        ColumnRule(
            "MATCHUP",
            "pattern",
            pattern=MATCHUP_PATTERN,
            max_length=64,
            expected="'MON DD, YYYY - TEAM @|vs. TEAM'",
            reason="gives the game date and the teams",
        ),
        ColumnRule("LOCATION", "choice", choices=("H", "A"), reason="home or away"),
        ColumnRule("W", "choice", choices=("W", "L"), required=False, reason="the game's result"),
        ColumnRule(
            "FINAL_MARGIN", "integer", minimum=-200, maximum=200, required=False, reason="the NBA record margin is 73"
        ),
        ColumnRule(
            "SHOT_NUMBER",
            "integer",
            minimum=1,
            maximum=200,
            reason="the player's n-th shot of the game; the NBA record is 63 attempts",
        ),
        ColumnRule("PERIOD", "integer", minimum=1, maximum=MAX_PERIOD, reason="four quarters and up to six overtimes"),
        ColumnRule(
            "GAME_CLOCK",
            "pattern",
            pattern=GAME_CLOCK_PATTERN,
            max_length=5,
            expected="'M:SS'",
            reason="minutes and seconds left in the period",
        ),
        ColumnRule(
            "SHOT_CLOCK",
            "number",
            minimum=0,
            maximum=SHOT_CLOCK_S,
            required=False,
            reason="seconds; empty when the shot clock was off",
        ),
        ColumnRule(
            "DRIBBLES", "integer", minimum=0, maximum=200, reason="more than 200 dribbles before a shot is not a touch"
        ),
        ColumnRule(
            "TOUCH_TIME",
            "number",
            minimum=-200,
            maximum=200,
            stored_as="touch_time_raw",
            reason="seconds; tracking errors down to -163.6 are cleaned to 0",
        ),
        _distance("SHOT_DIST", stored_as="shot_dist_raw"),
        ColumnRule("PTS_TYPE", "choice", choices=(2, 3), reason="a two or a three"),
        ColumnRule("SHOT_RESULT", "choice", choices=("made", "missed"), reason="the label, as the shot logs spell it"),
        _name("CLOSEST_DEFENDER"),
        _id("CLOSEST_DEFENDER_PLAYER_ID", "the defender"),
        _distance("CLOSE_DEF_DIST"),
        ColumnRule("FGM", "choice", choices=(0, 1), reason="the label: 1 made, 0 missed"),
        ColumnRule("PTS", "choice", choices=(0, 2, 3), reason="points the shot scored"),
        _name("player_name"),
        _id("player_id", "part of the shot key"),
    ),
    derived=(
        Derived("game_clock_s", "GAME_CLOCK", clock_seconds, stored_as="game_clock_s"),
        Derived("matchup_is_away", "MATCHUP", _is_away),
        Derived("matchup_is_a_date", "MATCHUP", _is_a_date),
    ),
    rows=(
        RowRule(
            "matchup_date_exists",
            ("matchup_is_a_date",),
            "MATCHUP has no such date",
            "the game date is a calendar date",
            lambda v, _: v["matchup_is_a_date"],
        ),
        RowRule(
            "clock_fits_period",
            ("PERIOD", "game_clock_s"),
            "GAME_CLOCK is longer than the period",
            f"quarters last {QUARTER_S // 60} minutes, overtimes {OVERTIME_S // 60}",
            lambda v, ops: v["game_clock_s"] <= ops.where(v["PERIOD"] > 4, OVERTIME_S, QUARTER_S),
        ),
        RowRule(
            "location_matches_matchup",
            ("LOCATION", "matchup_is_away"),
            "LOCATION disagrees with MATCHUP",
            "'@' is away, 'vs.' is home",
            lambda v, _: (v["LOCATION"] == "A") == v["matchup_is_away"],
        ),
        RowRule(
            "result_matches_fgm",
            ("SHOT_RESULT", "FGM"),
            "SHOT_RESULT disagrees with FGM",
            "made is 1, missed is 0",
            lambda v, _: (v["SHOT_RESULT"] == "made") == (v["FGM"] == 1),
        ),
        RowRule(
            "pts_is_fgm_times_pts_type",
            ("PTS", "FGM", "PTS_TYPE"),
            "PTS disagrees with FGM x PTS_TYPE",
            "a made shot scores its type, a miss 0",
            lambda v, _: v["PTS"] == v["FGM"] * v["PTS_TYPE"],
        ),
        RowRule(
            "w_matches_final_margin",
            ("W", "FINAL_MARGIN"),
            "W disagrees with FINAL_MARGIN",
            "a win has a positive margin",
            lambda v, _: (v["W"] == "W") == (v["FINAL_MARGIN"] > 0),
        ),
    ),
)

# Scoring reads the shot's context only: outcomes are dropped before validation, and the
# key and names may be absent.
SCORING_RULES = SHOT_RULES.subset(
    [c for c in SHOT_LOG_COLUMNS if c not in OUTCOME_COLUMNS],
    optional=("GAME_ID", "SHOT_NUMBER", "MATCHUP"),
)
# The /predict request: the context and, optionally, the key that joins ground truth later.
REQUEST_COLUMNS: tuple[str, ...] = (*CONTEXT_COLUMNS, "GAME_ID", "SHOT_NUMBER")
REQUEST_RULES = SHOT_RULES.subset(REQUEST_COLUMNS, optional=("GAME_ID", "SHOT_NUMBER"))
