"""score_beater predictions with a cache keyed by model version and the exact model inputs.

A prediction row is (season, player, games_played, model_version) with the ``input_hash`` of its
inputs and the probability. Before calling the model, the rows' hashes are looked up among the
stored predictions of the same version and season (``PredictionCache``, the platform's
``core.prediction_cache`` over the score_beater table): a hit reuses
the stored probability, only misses go to the model, in one batch. ``full_refeed`` deletes the
version's rows first, so everything is predicted again.

What "changed" means: after each game every player's ``season_share`` moves, so in a first pass
through a season every row is new (the hit rate is 0); the cache pays when the same inputs come
again: a sync restarted after a crash, a second consumer (the sensor and the CLI), a replay of
stored games, or a preseason refreshed twice.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Table

from shot_platform.core import prediction_cache
from shot_platform.core.bulk import insert_new_rows, insert_rows_unchecked, upsert_rows
from shot_platform.core.prediction_cache import Refresh
from shot_platform.core.scorer import Scorer
from shot_platform.free_throws.scoring import PREDICTIONS, input_hashes
from shot_platform.free_throws.store import tables


class PredictionCache(prediction_cache.PredictionCache):
    """The score_beater predictions of one (model version, season) in memory."""

    def __init__(self) -> None:
        super().__init__(PREDICTIONS)


def delete_version(conn: Connection, version: str) -> int:
    return prediction_cache.delete_version(conn, PREDICTIONS, version)


def refresh_predictions(
    conn: Connection, scorer: Scorer, inputs: pd.DataFrame, cache: PredictionCache | None = None
) -> Refresh:
    """Predict ``inputs`` (KEY + INPUT_NAMES columns) with the cache and write them (upsert)."""
    if not len(inputs):
        return Refresh()
    hashes = input_hashes(inputs)
    return prediction_cache.refresh_cached(conn, cache or PredictionCache(), scorer, inputs, hashes, write_predictions)


UPDATED = ("input_hash", "probability", "made_at")


def write_predictions(conn: Connection, rows: pd.DataFrame, new: bool = False) -> None:
    """Upsert prediction rows; ``new``: the caller knows no key is stored (``PredictionCache.all_new``)."""
    upsert(conn, tables.score_beater_predictions, rows, UPDATED, new=new)


def upsert(conn: Connection, table: Table, rows: pd.DataFrame, updated: tuple[str, ...], new: bool = False) -> None:
    """Insert rows; a stored key gets ``updated`` columns replaced (left alone when ``updated`` is
    empty). One COPY + ``INSERT ... ON CONFLICT`` on PostgreSQL, not a statement per row (each a round
    trip through psycopg2); with ``new`` (no key stored), one COPY into the table. Within ``rows`` the
    last row of a key wins."""
    key = [column.name for column in table.primary_key.columns]
    rows = rows[[column.name for column in table.columns]].drop_duplicates(key, keep="last")
    if new:
        insert_rows_unchecked(conn, table, rows, key, updated)
    elif updated:
        upsert_rows(conn, table, rows, key, updated)
    else:
        insert_new_rows(conn, table, rows, key)


__all__ = ["PredictionCache", "Refresh", "delete_version", "refresh_predictions", "upsert", "write_predictions"]
