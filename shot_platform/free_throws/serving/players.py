"""Each player's current score_beater inputs, read from the free-throw store.

"Current" is the latest season with point-in-time features, after the latest league game with
counts in the store (``FreeThrowStore.latest_games``; 0 = preseason): exactly the inputs the
prediction assets compute for that point (``features.history.inputs_at``), so the service and
the stored predictions agree. Only the requested players' rows are read (one indexed query).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select

from shot_platform.free_throws.features.history import inputs_at
from shot_platform.free_throws.inputs import GAMES_PLAYED, INPUT_NAMES
from shot_platform.free_throws.schema import PLAYER, SEASON, season_label
from shot_platform.free_throws.store import FreeThrowStore, tables

COLUMNS = [SEASON, PLAYER, GAMES_PLAYED, *INPUT_NAMES]


class StorePlayerInputs:
    """``PlayerInputSource`` over the free-throw store."""

    def __init__(self, store: FreeThrowStore) -> None:
        self.store = store

    def current_player_inputs(self, players: Sequence[str]) -> pd.DataFrame:
        features = tables.free_throw_player_features
        with self.store.engine.connect() as conn:
            season = conn.execute(select(func.max(features.c.season))).scalar()
            if season is None:
                return pd.DataFrame(columns=COLUMNS)
            query = select(features).where(features.c.season == season, features.c.player.in_(sorted(set(players))))
            rows = pd.read_sql(query, conn)
        if rows.empty:
            return pd.DataFrame(columns=COLUMNS)
        games_played = self.store.latest_games().get(int(season), 0)
        current = inputs_at(rows, int(season), games_played)
        return current.assign(**{SEASON: current[SEASON].map(lambda start: season_label(int(start)))})
