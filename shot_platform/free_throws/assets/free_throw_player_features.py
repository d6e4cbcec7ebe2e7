"""free_throw_player_features: point-in-time model inputs after every game, and the count tables."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.free_throws.schema import season_short


@asset(deps=["raw_free_throws"], compute_kind="pandas")
def free_throw_player_features(
    context: AssetExecutionContext, free_throw_store: FreeThrowStoreResource
) -> MaterializeResult:
    """Per season s and player of season s - 1: last season's made, attempted and games, and this
    season's so far, as they stood after each league game (`games_played`, 0 = preseason), with
    the scheduled games of both seasons. The inputs after any k games are the latest row with
    games_played <= k (a row never reads a later game). Also rebuilds the regular-season schedule
    (All-Star game excluded) and the made/attempted counts per player and game.
    """
    store = free_throw_store.get()
    counts, history = rebuild_features(store)
    context.log.info(f"{len(history)} feature rows, {len(counts.player_games)} player-games")
    per_season = pd.DataFrame(
        {
            "season": [season_short(int(season)) for season in counts.scheduled_games.index],
            "scheduled_games": counts.scheduled_games.to_numpy(),
            "players": counts.totals.groupby("season").size().reindex(counts.scheduled_games.index).to_numpy(),
            "feature_rows": history.groupby("season").size().reindex(counts.scheduled_games.index, fill_value=0),
        }
    )
    return MaterializeResult(
        metadata={
            "feature_rows": len(history),
            "player_games": len(counts.player_games),
            "predicted_seasons": len(history["season"].unique()),
            "per_season": MetadataValue.md(per_season.to_markdown(index=False) if len(per_season) else "no data yet"),
        }
    )
