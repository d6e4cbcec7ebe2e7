"""The batch mode of the ``free_throw_games`` multi-asset: each table rebuilt from the stored free throws.

Used when the flow did not sync games in the run (no Scores API configured, or the games not
selected) or when the run config asks for a ``rebuild``. The rebuild gives the rows the sync wrote
game by game (tested: test_sync_rebuild.py). Each function writes its asset's tables and returns
that asset's materialisation metadata.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from shot_platform.core.ingest.raw_data import raw_data_metadata
from shot_platform.core.scorer import Scorer
from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.live_metrics import known_labels, store_progress, write_known_labels
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.scoring import prediction_points, refresh_predictions, snapshot_frame
from shot_platform.free_throws.store import FreeThrowStore, tables

RAW_HINT = "the store has no free throws yet: run `shot-platform ingest free-throws PATH` first"


def raw_metadata(context: AssetExecutionContext, store: FreeThrowStore) -> dict:
    """What ``free_throws`` holds (rows, players, seasons, latest event); the files were ingested before."""
    summary = store.summary()
    seasons = f"{summary['first_season']}..{summary['last_season']}" if summary["rows"] else ""
    details = {"players": summary["players"], "seasons": seasons}
    return raw_data_metadata(context, store.engine, summary, RAW_HINT, details, "latest_event_id")


def rebuild_counts_and_features(
    store: FreeThrowStore, write: tuple[str, ...], log: Callable[[str], None]
) -> tuple[dict, dict]:
    """Schedule and player-game counts ("counts" in ``write``) and features ("features") rebuilt in
    one swap: (player-games metadata, features metadata)."""
    counts, history = rebuild_features(store, write)
    log(f"{len(history)} feature rows, {len(counts.player_games)} player-games")
    per_season = pd.DataFrame(
        {
            "season": [season_short(int(season)) for season in counts.scheduled_games.index],
            "scheduled_games": counts.scheduled_games.to_numpy(),
            "players": counts.totals.groupby("season").size().reindex(counts.scheduled_games.index).to_numpy(),
            "feature_rows": history.groupby("season").size().reindex(counts.scheduled_games.index, fill_value=0),
        }
    )
    player_games = {"player_games": len(counts.player_games), "scheduled_games": len(counts.schedule)}
    features = {
        "feature_rows": len(history),
        "player_games": len(counts.player_games),
        "predicted_seasons": len(history["season"].unique()),
        "per_season": MetadataValue.md(per_season.to_markdown(index=False) if len(per_season) else "no data yet"),
    }
    return player_games, features


def rebuild_labels(store: FreeThrowStore) -> dict:
    """The labels known from the stored counts, upserted (as the sync writes them, game by game)."""
    features, player_games = store.load(tables.free_throw_player_features), store.load(tables.free_throw_player_games)
    labels = known_labels(features, player_games, store_progress(store))
    written = write_known_labels(store, labels)
    return {"labels_known": written, "labels_pending": len(labels) - written}


def rebuild_predictions(
    store: FreeThrowStore, scorer: Scorer | None, full_refeed: bool, log: Callable[[str], None]
) -> dict:
    """Predictions at every evaluation point and each season's latest game, through the cache."""
    if scorer is None:
        log("no score_beater champion yet: nothing to predict")
        return {"rows": 0, "model_version": "", "status": "no score_beater champion yet"}
    history = store.load(tables.free_throw_player_features)
    snapshots = snapshot_frame(history, prediction_points(history, store.latest_games()))
    report = refresh_predictions(store, scorer, snapshots, full_refeed)
    log(report.summary())
    return report.metadata(full_refeed)
