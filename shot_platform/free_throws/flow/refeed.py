"""The full refeed (``sync_free_throws(full_refeed=True)``): the champion's cached predictions deleted,
and every processed point predicted again from the stored per-game counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import func, select

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.cache import delete_version
from shot_platform.free_throws.flow.season import load_state
from shot_platform.free_throws.schema import PLAYER
from shot_platform.free_throws.store import tables

if TYPE_CHECKING:
    from shot_platform.free_throws.flow.sync import SyncEngine


def full_refeed(engine: SyncEngine) -> None:
    """Delete the champion's predictions (the cache) and predict every processed point again."""
    scorer = engine.ensure_scorer()
    store, writer = engine.store, engine.writer
    with engine.clock("store"), store.transaction() as conn:
        deleted = delete_version(conn, scorer.version)
        writer.cache.clear()
        processed = ledger.processed_games
        points = conn.execute(
            select(processed.c.season, func.max(processed.c.game_number))
            .where(processed.c.game_number.is_not(None))
            .group_by(processed.c.season)
            .order_by(processed.c.season)
        ).all()
    engine.progress(f"full refeed: {deleted} cached predictions of model {scorer.version} deleted")
    for season, last in points:
        engine.state = None
        state = engine.season_state(int(season))  # writes the preseason predictions again
        if not state.predicted:
            continue
        with engine.clock("store"), store.transaction() as conn:
            state = load_state(conn, int(season), state.game_numbers, 0)
            games = tables.free_throw_player_games
            per_game = pd.DataFrame(
                conn.execute(
                    select(games.c.game_number, games.c.player, games.c.made, games.c.attempted).where(
                        games.c.season == int(season)
                    )
                ).all(),
                columns=["game_number", PLAYER, "made", "attempted"],
            )
            by_game = dict(tuple(per_game.groupby("game_number")))
            for number in range(0, int(last) + 1):  # 0: the preseason predictions
                if number in by_game:
                    state.add_game(by_game[number])
                writer.predict(scorer, state.inputs(number))
            writer.flush(conn)
        engine.state = None
    engine.progress(f"full refeed: {engine.report.predictions_computed} predictions computed again")


__all__ = ["full_refeed"]
