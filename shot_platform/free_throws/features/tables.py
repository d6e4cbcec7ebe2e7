"""Between the count tables in the store and the research code's ``FreeThrowCounts``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.free_throws.counts import (
    GAME_NUMBER,
    SCHEDULED_GAMES,
    FreeThrowCounts,
    player_game_counts,
    regular_season_events,
    season_schedules,
    season_totals,
)
from shot_platform.free_throws.features.history import build_history
from shot_platform.free_throws.schema import GAME_ID, SEASON
from shot_platform.free_throws.store import FreeThrowStore, tables

EVENT_COLUMNS = ("season", "game_id", "game", "player", "playoffs", "shot_made")


def rebuild_features(
    store: FreeThrowStore, write: tuple[str, ...] = ("counts", "features")
) -> tuple[FreeThrowCounts, pd.DataFrame]:
    """Schedule, player-game counts and point-in-time features from the stored events, swapped in at once
    (``write``: "counts" for the schedule and player-game counts, "features" for the features; both
    by default; each is computed from the events alone, so either can be written without the other).

    The schedule is the union of the games in the events and the stored schedule: the sync engine
    stores each season's whole schedule from the Scores API, so in the middle of a season the
    events know only the games played so far (a schedule from them alone made ``scheduled_games``
    15 instead of 40 in the test, changed every feature row of the season and made the season look
    complete), and a game quarantined whole has no events but keeps its place in the season.
    Without the flow the stored schedule is this function's own earlier output, a subset of the
    events' games (events are never deleted), so the union is the events' schedule, as before.
    Tested: a rebuild in mid-season gives back exactly the rows the sync wrote.
    """
    events = store.load_events(EVENT_COLUMNS)
    counts = counts_with_schedule(events, store.load(tables.free_throw_schedule))
    history = build_history(counts)
    replacements = {}
    if "counts" in write:
        replacements |= {
            tables.free_throw_schedule: counts.schedule,
            tables.free_throw_player_games: counts.player_games,
        }
    if "features" in write:
        replacements[tables.free_throw_player_features] = history
    store.replace(replacements)
    return counts, history


def counts_with_schedule(events: pd.DataFrame, stored: pd.DataFrame) -> FreeThrowCounts:
    """``build_counts`` over ``events`` with the games of the ``stored`` schedule added to the
    schedule, and the games renumbered in ``game_id`` order within each season."""
    regular = regular_season_events(events)
    games = pd.concat([season_schedules(regular)[[SEASON, GAME_ID]], stored[[SEASON, GAME_ID]]], ignore_index=True)
    games = games.astype({SEASON: "int64", GAME_ID: "int64"}).drop_duplicates()
    if games[GAME_ID].duplicated().any():
        raise ValueError("a game_id appears in two seasons (events and stored schedule disagree)")
    schedule = games.sort_values([SEASON, GAME_ID], ignore_index=True)
    schedule[GAME_NUMBER] = schedule.groupby(SEASON).cumcount().astype(np.int64) + 1
    player_games = player_game_counts(regular, schedule)
    return FreeThrowCounts(
        player_games=player_games,
        schedule=schedule,
        totals=season_totals(player_games),
        scheduled_games=schedule.groupby(SEASON)[GAME_ID].size().astype(np.int64).rename(SCHEDULED_GAMES),
    )


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
