"""The validation rules of a free-throw row, declared once with the platform's rule vocabulary.

Ingest (``ingest/validation.py``) validates files with ``core.frame_validation.validate_frame``
on ``FREE_THROW_RULES``; the blocking asset check on ``raw_free_throws`` counts stored rows
breaking the same rules with ``core.sql_checks.violation_conditions``. A rule changed here changes
both. Measured on the real file (496,533 rows): every row passes.
"""

from __future__ import annotations

import re

from shot_platform.core.rules import BIGINT_MAX, ColumnRule, Derived, RowRule, RuleSet

MAX_PERIOD = 10  # four quarters and up to six overtimes (the file has up to period 8)
SCORE_PATTERN = r"^[0-9]{1,3} - [0-9]{1,3}$"
_VERB = re.compile(r"\b(makes|misses)\b")


def clock_seconds(text: str) -> int:
    """'M:SS' or 'MM:SS' (already validated) -> seconds left in the period."""
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def play_verb(text: str) -> int:
    """1 when the play text says only 'makes', 0 when only 'misses', -1 when both or neither.

    One row of the file describes a dunk and a foul before the free throw ("... makes two point
    dunk, ... misses free throw 1 of 2"): text naming both verbs cannot be checked.
    """
    verbs = set(_VERB.findall(text))
    return {frozenset({"makes"}): 1, frozenset({"misses"}): 0}.get(frozenset(verbs), -1)


FREE_THROW_RULES = RuleSet(
    name="free_throws",
    columns=(
        ColumnRule("end_result", "pattern", pattern=SCORE_PATTERN, max_length=16, expected="'AWAY - HOME'",
                   reason="the final score, e.g. '106 - 114'"),
        ColumnRule("game", "pattern", pattern=r"^[A-Z]{2,4} - [A-Z]{2,4}$", max_length=16,
                   expected="'AWAY - HOME' team codes", reason="e.g. 'PHX - LAL'"),
        ColumnRule("game_id", "integer", minimum=1, maximum=BIGINT_MAX, reason="fits the store's BIGINT"),
        ColumnRule("period", "integer", minimum=1, maximum=MAX_PERIOD,
                   reason="four quarters and up to six overtimes"),
        ColumnRule("play", "text", max_length=256, reason="the play-by-play text"),
        ColumnRule("player", "pattern", pattern=r"^\S(.*\S)?$", max_length=64,
                   expected="a name without leading or trailing spaces", is_name=True,
                   reason="a player is identified by his name"),
        ColumnRule("playoffs", "choice", choices=("regular", "playoffs"), reason="regular season or playoffs"),
        ColumnRule("score", "pattern", pattern=SCORE_PATTERN, max_length=16, expected="'AWAY - HOME'",
                   reason="the running score after the attempt, e.g. '2 - 3'"),
        ColumnRule("season", "pattern", pattern=r"^[0-9]{4} - [0-9]{4}$", max_length=16, expected="'YYYY - YYYY'",
                   reason="e.g. '2006 - 2007'"),
        ColumnRule("shot_made", "choice", choices=(0, 1), reason="1 for a make, 0 for a miss"),
        ColumnRule("time", "pattern", pattern=r"^[0-9]{1,2}:[0-5][0-9]$", max_length=8, expected="'M:SS'",
                   reason="the game clock, time left in the period"),
    ),
    derived=(
        Derived("season_start", "season", lambda text: int(text[:4]), stored_as="season_start"),
        Derived("season_end", "season", lambda text: int(text[-4:])),
        Derived("time_s", "time", clock_seconds, stored_as="time_s"),
        Derived("play_verb", "play", play_verb),
    ),
    rows=(
        RowRule("season_years", ("season_start", "season_end"), "season must be two consecutive years",
                "a season runs from one autumn to the next spring",
                lambda v, ops: v["season_end"] == v["season_start"] + 1),
        RowRule("clock_in_period", ("period", "time_s"), "time is longer than the period",
                "periods last 12 minutes, overtimes 5",
                lambda v, ops: v["time_s"] <= ops.where(v["period"] > 4, 300, 720)),
        RowRule("verb_agrees", ("shot_made", "play_verb"), "shot_made disagrees with the play text",
                "'makes' is 1 and 'misses' is 0",
                lambda v, ops: (v["play_verb"] < 0) | (v["play_verb"] == v["shot_made"])),
    ),
)  # fmt: skip

# A rule across the rows of a game (the vocabulary's rules are per row), checked by ingest.
GAME_COLUMNS: tuple[str, ...] = ("game", "end_result", "season", "playoffs")
GAME_CONSISTENCY_REASON = (
    "game, end_result, season or playoffs differ from the other rows of this game_id (a game has one of each)"
)

__all__ = ["FREE_THROW_RULES", "GAME_COLUMNS", "GAME_CONSISTENCY_REASON", "clock_seconds", "play_verb"]
