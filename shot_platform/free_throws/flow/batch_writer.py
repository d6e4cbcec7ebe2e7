"""The batch writer: what the games of one transaction produce, queued, and written at ``flush``
in one statement per table and one model call per scorer (not per game: the fixed cost of a
pandas frame, a statement and a model call is paid once a batch)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table

from shot_platform.core.scorer import CountingScorer
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.cache import PredictionCache, refresh_predictions, upsert
from shot_platform.free_throws.flow.report import Clock, SyncReport
from shot_platform.free_throws.flow.season import SeasonState
from shot_platform.free_throws.store import tables


def plain_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of Python scalars (``tolist`` converts numpy types, and costs far less than
    ``to_dict("records")``). The frame must hold no missing values."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _runs(items: list, key: Callable[[Any], Any]) -> Iterator[tuple[Any, list]]:
    """Consecutive items with the same key (compared by identity: states and scorers), in order."""
    for _, group in itertools.groupby(items, key=lambda item: tuple(map(id, _as_tuple(key(item))))):
        group = list(group)
        yield key(group[0]), group


def _as_tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def points_frame(
    state: SeasonState, games_played: np.ndarray, rows: np.ndarray, so_far: np.ndarray, *, features: bool
) -> pd.DataFrame:
    """``state.inputs`` (or ``state.feature_rows``) of many points in one call: point i is population
    row ``rows[i]`` after ``games_played[i]`` league games, when his counts so far were ``so_far[:, i]``.

    The call goes to a view of the state whose population is the points (every per-player array
    taken at ``rows``, ``so_far`` the snapshots), with ``games_played`` an array: ``inputs`` fills
    its games_played columns with ``np.full``, which takes one value per row as well as one for
    all. The values are the same numbers as point-by-point calls (the replay-equals-batch test).
    """
    players = len(state.population)
    changes: dict[str, Any] = {"population": state.population[rows], "so_far": so_far}
    for item in dataclasses.fields(state):
        value = getattr(state, item.name)
        if item.name in changes:
            continue
        if isinstance(value, np.ndarray) and value.shape[-1:] == (players,):
            changes[item.name] = value[..., rows]
        elif isinstance(value, pd.Index | pd.Series | pd.DataFrame) and len(value) == players:
            raise TypeError(f"SeasonState.{item.name}: a per-player pandas field; take it at rows here too")
    view = dataclasses.replace(state, **changes)
    everyone = np.arange(len(rows))
    return view.feature_rows(games_played, everyone) if features else view.inputs(games_played, everyone)


class BatchWriter:
    """Rows, feature and prediction points and ledger rows of the open transaction, written by ``flush``."""

    def __init__(self, report: SyncReport, clock: Clock) -> None:
        self.report = report
        self.clock = clock
        self.cache = PredictionCache()
        self.rows: dict[str, tuple[Table, tuple[str, ...], list[pd.DataFrame]]] = {}
        self.ledger_rows: list[dict] = []
        self.predictions: list[tuple[CountingScorer, pd.DataFrame]] = []
        # After each game: the feature rows of the players it changed, and every player's inputs, as
        # (state, games_played, population rows, so_far of those rows then); turned into frames at flush.
        self.features: list[tuple[SeasonState, int, np.ndarray, np.ndarray]] = []
        self.points: list[tuple[CountingScorer, SeasonState, int, np.ndarray]] = []

    def queue(self, table: Table, frame: pd.DataFrame, updated: tuple[str, ...] = ()) -> None:
        """Rows for ``table``: inserted, or for a stored key ``updated`` columns replaced (left alone
        when ``updated`` is empty)."""
        if len(frame):
            self.rows.setdefault(table.name, (table, updated, []))[2].append(frame)

    def predict(self, scorer: CountingScorer, inputs: pd.DataFrame) -> None:
        """Predictions of ``inputs`` by ``scorer``, through the cache."""
        self.predictions.append((scorer, inputs))

    def feature_point(self, state: SeasonState, games_played: int, rows: np.ndarray) -> None:
        """The feature rows of population ``rows`` after ``games_played`` games (their counts now)."""
        self.features.append((state, games_played, rows, state.so_far[:, rows].copy()))

    def prediction_point(self, scorer: CountingScorer, state: SeasonState, games_played: int) -> None:
        """Every player's prediction after ``games_played`` games (the counts now)."""
        self.points.append((scorer, state, games_played, state.so_far.copy()))

    def record(self, row: dict) -> None:
        """A ledger row (``ledger.processed_games``) of a game of the batch."""
        self.ledger_rows.append(row)

    def quarantined_regular(self, season: int) -> set[int]:
        """Regular-season games of ``season`` quarantined in the open batch (not in the ledger yet)."""
        return {
            row["game_id"] for row in self.ledger_rows
            if row["season"] == season and row["status"] == ledger.QUARANTINED and row["game_number"] is not None
        }  # fmt: skip

    def discard(self) -> None:
        """The transaction rolled back: drop what was queued, and what the cache believed was stored."""
        self.cache.clear()
        self.rows, self.ledger_rows, self.predictions, self.features, self.points = {}, [], [], [], []

    def flush(self, conn: Connection) -> None:
        """Write what the games of the open transaction queued: count and feature rows, predictions."""
        with self.clock("store"):
            self._frames_of_points()
            if self.ledger_rows:
                self.queue(ledger.processed_games, pd.DataFrame(self.ledger_rows).astype({"game_number": "Int64"}))
                self.ledger_rows = []
            for table, updated, frames in self.rows.values():
                upsert(conn, table, pd.concat(frames, ignore_index=True), updated)
            self.rows = {}
            while self.predictions:
                scorer = self.predictions[0][0]
                same = [inputs for s, inputs in self.predictions if s is scorer]
                self.predictions = [(s, i) for s, i in self.predictions if s is not scorer]
                refresh = refresh_predictions(conn, scorer, pd.concat(same, ignore_index=True), self.cache)
                self.report.predictions_computed += refresh.computed
                self.report.predictions_reused += refresh.reused
                self.report.seconds["model"] += refresh.model_seconds
                self.report.seconds["store"] -= refresh.model_seconds  # counted inside the store block

    def _frames_of_points(self) -> None:
        """The queued per-game points as frames: one ``SeasonState`` call per season (and scorer) for
        the batch."""
        features, self.features = self.features, []
        for state, group in _runs(features, key=lambda item: item[0]):
            numbers = np.concatenate([np.full(len(rows), number) for _, number, rows, _ in group])
            rows = np.concatenate([rows for _, _, rows, _ in group])
            so_far = np.concatenate([values for _, _, _, values in group], axis=1)
            self.queue(tables.free_throw_player_features, points_frame(state, numbers, rows, so_far, features=True))
        points, self.points = self.points, []
        for (scorer, state), group in _runs(points, key=lambda item: (item[0], item[1])):
            everyone = np.arange(len(state.population))
            numbers = np.repeat([number for _, _, number, _ in group], len(everyone))
            so_far = np.concatenate([values for _, _, _, values in group], axis=1)
            rows = np.tile(everyone, len(group))
            self.predictions.append((scorer, points_frame(state, numbers, rows, so_far, features=False)))


__all__ = ["BatchWriter", "plain_rows", "points_frame"]
