"""Between the count tables in the store and the research code's ``FreeThrowCounts``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.free_throws.counts import SCHEDULED_GAMES, FreeThrowCounts, build_counts, season_totals
from shot_platform.free_throws.features.history import build_history
from shot_platform.free_throws.schema import GAME_ID, SEASON
from shot_platform.free_throws.store import FreeThrowStore, tables

EVENT_COLUMNS = ("season", "game_id", "game", "player", "playoffs", "shot_made")


def rebuild_features(store: FreeThrowStore) -> tuple[FreeThrowCounts, pd.DataFrame]:
    """Schedule, player-game counts and point-in-time features from the stored events, swapped in at once."""
    counts = build_counts(store.load_events(EVENT_COLUMNS))
    history = build_history(counts)
    store.replace(
        {
            tables.free_throw_schedule: counts.schedule,
            tables.free_throw_player_games: counts.player_games,
            tables.free_throw_player_features: history,
        }
    )
    return counts, history


def load_counts(store: FreeThrowStore) -> FreeThrowCounts:
    """The counts as ``counts.build_counts`` gives them, read from the stored count tables."""
    schedule = store.load(tables.free_throw_schedule).sort_values([SEASON, GAME_ID], ignore_index=True)
    player_games = store.load(tables.free_throw_player_games)
    player_games = player_games.sort_values([SEASON, "game_number", "player"], ignore_index=True)
    player_games = player_games[[SEASON, GAME_ID, "game_number", "player", "made", "attempted"]].astype(
        {SEASON: "int64", GAME_ID: "int64", "game_number": "int64", "made": "int64", "attempted": "int64"}
    )
    scheduled = schedule.groupby(SEASON)[GAME_ID].size().astype(np.int64).rename(SCHEDULED_GAMES)
    return FreeThrowCounts(
        player_games=player_games,
        schedule=schedule.astype({SEASON: "int64", GAME_ID: "int64", "game_number": "int64"}),
        totals=season_totals(player_games),
        scheduled_games=scheduled,
    )
