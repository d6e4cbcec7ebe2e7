"""The Kaggle "NBA shot logs" schema, and which of its columns are outcomes.

Everything that names a shot-log column imports it from here, so that the
leakage rule (outcomes are never features) is written down exactly once.
"""

from __future__ import annotations

SHOT_LOG_COLUMNS: tuple[str, ...] = (
    "GAME_ID",
    "MATCHUP",
    "LOCATION",
    "W",
    "FINAL_MARGIN",
    "SHOT_NUMBER",
    "PERIOD",
    "GAME_CLOCK",
    "SHOT_CLOCK",
    "DRIBBLES",
    "TOUCH_TIME",
    "SHOT_DIST",
    "PTS_TYPE",
    "SHOT_RESULT",
    "CLOSEST_DEFENDER",
    "CLOSEST_DEFENDER_PLAYER_ID",
    "CLOSE_DEF_DIST",
    "FGM",
    "PTS",
    "player_name",
    "player_id",
)

SHOT_KEY: tuple[str, ...] = ("GAME_ID", "player_id", "SHOT_NUMBER")

# The outcome of the shot and facts only known after the game. A model may
# never read them; `shot_platform.shots.features` drops them before anything else.
OUTCOME_COLUMNS: frozenset[str] = frozenset({"SHOT_RESULT", "FGM", "PTS", "W", "FINAL_MARGIN"})

# What a shot must carry to be scored (training adds FGM as the label).
CONTEXT_COLUMNS: tuple[str, ...] = (
    "SHOT_DIST",
    "CLOSE_DEF_DIST",
    "SHOT_CLOCK",
    "DRIBBLES",
    "TOUCH_TIME",
    "PERIOD",
    "GAME_CLOCK",
    "PTS_TYPE",
    "LOCATION",
    "player_id",
    "CLOSEST_DEFENDER_PLAYER_ID",
)

LABEL = "FGM"

# Court geometry used by the cleaning rules (feet).
CORNER_THREE_FT = 22.0
ARC_THREE_FT = 23.75
COURT_LENGTH_FT = 94.0
SHOT_CLOCK_S = 24.0
