"""The Kaggle "NBA free throws" schema, which columns are outcomes, and season strings.

One row per free-throw attempt, seasons 2006-07 to 2013-14. Everything that names a
column imports it from here.
"""

from __future__ import annotations

import re

FREE_THROW_COLUMNS: tuple[str, ...] = (
    "end_result",
    "game",
    "game_id",
    "period",
    "play",
    "player",
    "playoffs",
    "score",
    "season",
    "shot_made",
    "time",
)

SEASON = "season"
GAME_ID = "game_id"
GAME = "game"
PLAYER = "player"
PLAYOFFS = "playoffs"
SHOT_MADE = "shot_made"

# What an attempt's row says about its own result or the game's: the make/miss itself, the
# play text ("makes"/"misses"), the running score after the attempt and the final score. A
# per-attempt model may never read them; score_beater only counts ``shot_made`` of games that
# are already final at the snapshot.
OUTCOME_COLUMNS: frozenset[str] = frozenset({"shot_made", "play", "score", "end_result"})

REGULAR = "regular"
PLAYOFFS_VALUE = "playoffs"

# The All-Star game is stored as a regular-season game in 2006-07..2011-12 (game "EAST - WEST",
# one a season). It is not part of the schedule nor of a player's regular-season record.
ALL_STAR_TEAMS: frozenset[str] = frozenset({"EAST", "WEST"})

_SEASON_PATTERN = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


def season_start_year(season: str) -> int:
    """``"2012 - 2013"`` -> 2012. Raises ValueError on anything else."""
    match = _SEASON_PATTERN.match(season)
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(f"season must look like '2012 - 2013', got {season!r}")
    return int(match.group(1))


def season_label(start_year: int) -> str:
    """2012 -> ``"2012 - 2013"`` (the file's spelling)."""
    return f"{start_year} - {start_year + 1}"


def season_short(start_year: int) -> str:
    """2012 -> ``"2012-13"``, for reports."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


__all__ = [
    "ALL_STAR_TEAMS",
    "FREE_THROW_COLUMNS",
    "GAME",
    "GAME_ID",
    "OUTCOME_COLUMNS",
    "PLAYER",
    "PLAYOFFS",
    "PLAYOFFS_VALUE",
    "REGULAR",
    "SEASON",
    "SHOT_MADE",
    "season_label",
    "season_short",
    "season_start_year",
]
