"""score_beater predictions for the stored features, with a cache keyed by model version and inputs.

What is predicted: every player of season s - 1, for every season s with features, at 0%, 25%,
50% and 75% of the season (the domain metric's points, ``evaluation.EVAL_FRACTIONS``) and after
the latest game in the store (the prediction in force now). Issue 9's game-by-game flow calls
``refresh_predictions`` with the k of each new game.

A row is recomputed only when no prediction of the same model version exists for its key with
the same ``input_hash`` (a hash of the exact model inputs); ``full_refeed`` deletes the version's
rows and predicts everything again.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import delete

from shot_platform.core.prediction_cache import PredictionTable, RefreshReport, row_hashes
from shot_platform.core.prediction_cache import refresh_predictions as cached_refresh
from shot_platform.core.scorer import Scorer
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS
from shot_platform.free_throws.features.history import inputs_at
from shot_platform.free_throws.inputs import GAMES_PLAYED, INPUT_NAMES, games_at_fractions
from shot_platform.free_throws.schema import PLAYER, SEASON
from shot_platform.free_throws.store import FreeThrowStore, tables

KEY = [SEASON, PLAYER, GAMES_PLAYED]


PREDICTIONS = PredictionTable(
    KEY, "input_hash", "probability", tables.score_beater_predictions, SEASON, GAMES_PLAYED, "made_at"
)


def champion_scorer(location: str, s3_endpoint_url: str | None) -> Scorer | None:
    """The score_beater champion of the model store (``serving.champion``: the SavedModel through its
    serving signature, as the service calls it), or None while there is none. The only place the
    free-throw assets look for a model."""
    from shot_platform.free_throws.serving.champion import champion_scorer as load_champion

    return load_champion(location, s3_endpoint_url)


def input_hashes(inputs: pd.DataFrame) -> pd.Series:
    """16 hex digits per row from the exact input values (float64 bits, in ``INPUT_NAMES`` order)."""
    return row_hashes(inputs[list(INPUT_NAMES)].astype("float64"))


def prediction_points(history: pd.DataFrame, latest: dict[int, int] | None = None) -> list[tuple[int, int]]:
    """(season, games_played) to predict: the evaluation fractions of every season, and ``latest``."""
    points: set[tuple[int, int]] = set()
    scheduled = history.groupby(SEASON)["scheduled_games"].max()
    for season, games in scheduled.items():
        points.update((int(season), k) for k in games_at_fractions(int(games), EVAL_FRACTIONS))
    for season, k in (latest or {}).items():
        points.add((int(season), int(k)))
    return sorted(points)


def snapshot_frame(history: pd.DataFrame, points: Iterable[tuple[int, int]]) -> pd.DataFrame:
    """Model inputs of every player at each (season, games_played) point."""
    frames = [inputs_at(history, season, k) for season, k in points]
    if not frames:
        return pd.DataFrame(columns=[*KEY, *INPUT_NAMES])
    return pd.concat(frames, ignore_index=True)


def refresh_predictions(
    store: FreeThrowStore, scorer: Scorer, snapshots: pd.DataFrame, full_refeed: bool = False
) -> RefreshReport:
    """Predict the rows of ``snapshots`` whose inputs changed for this model version; store them."""
    if full_refeed:
        table = tables.score_beater_predictions
        with store.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.model_version == scorer.version))
    frame = snapshots.assign(input_hash=input_hashes(snapshots)) if len(snapshots) else snapshots
    report, _ = cached_refresh(
        frame,
        store.load_predictions(scorer.version),
        scorer.version,
        PREDICTIONS,
        lambda stale: scorer.predict(frame[stale]),
        store.upsert_predictions,
    )
    return report


__all__ = [
    "RefreshReport",
    "champion_scorer",
    "input_hashes",
    "prediction_points",
    "refresh_predictions",
    "snapshot_frame",
]
