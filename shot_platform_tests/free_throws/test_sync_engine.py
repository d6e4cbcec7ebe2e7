"""The sync engine against the REAL replay server process on loopback, on SQLite and PostgreSQL.

The scorer here is a deterministic numpy function of the model inputs (a stand-in for the
SavedModel, which would load TensorFlow into the test process; the CLI tests use the real one).
It counts its calls and rows, so the cache can be seen to answer without the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shot_platform.free_throws.counts import build_counts
from shot_platform.free_throws.features.history import build_history
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.sync import sync_free_throws, unprocessed_final_games
from shot_platform.free_throws.inputs import INPUT_NAMES, snapshot_inputs
from shot_platform.free_throws.labels import beat_labels
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws


class CountingScorer:
    """probability = sigmoid(a linear function of the inputs); exact, cheap, counts its calls."""

    def __init__(self, version: str = "1", weight: float = 1.0) -> None:
        self.version = version
        self.weight = weight
        self.calls = 0
        self.rows = 0

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        self.rows += len(inputs)
        x = inputs[list(INPUT_NAMES)].to_numpy(dtype=np.float64)
        z = self.weight * (x[:, 4] - x[:, 0] * x[:, 8]) / 10 + 0.01 * x[:, 6]
        return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="module")
def two_seasons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """Two small seasons (60 regular games each, an All-Star game, 6 playoff games)."""
    frame = generate_free_throws(seasons=2, first_season=2012, regular_games=60, playoff_games=6, seed=11)
    return write_free_throws(frame, tmp_path_factory.mktemp("sync") / "ft.csv.gz"), frame


def _store(url: str) -> FreeThrowStore:
    store = FreeThrowStore(url)
    store.create_schema()
    return store


def _state(store: FreeThrowStore) -> dict[str, pd.DataFrame]:
    """Everything the flow derives, without timestamps, in key order."""
    out = {}
    for table in (
        tables.free_throw_player_games,
        tables.free_throw_player_features,
        tables.free_throw_labels,
        tables.free_throw_schedule,
    ):
        out[table.name] = store.load(table).reset_index(drop=True)
    predictions = store.load_predictions().drop(columns="made_at")
    out["predictions"] = predictions.sort_values(["season", "player", "games_played"], ignore_index=True)
    events = store.load_events()
    out["events"] = events.reset_index(drop=True)
    processed = store.load(ledger.processed_games).drop(columns=["processed_at", "updated_at"])  # times of day
    out["ledger"] = processed.reset_index(drop=True)
    return out


def _assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False, obj=name)


def test_replayed_season_equals_one_batch(database_url: str, two_seasons: tuple[Path, pd.DataFrame]) -> None:
    path, frame = two_seasons
    store = _store(database_url)
    scorer = CountingScorer()
    with replay_server(path, release="all") as url:
        report = sync_free_throws(store, None, ScoresApiClient(url), scorer=scorer, retrain=False)
        assert unprocessed_final_games(store, ScoresApiClient(url)) == []
    games = frame["game_id"].nunique()
    assert report.games_processed == games
    assert report.quarantined == 0 and report.waiting_for is None

    # Features: the stored rows equal the batch build over the same games.
    counts = build_counts(frame)
    history = build_history(counts).sort_values(["season", "player", "games_played"], ignore_index=True)
    stored = store.load(tables.free_throw_player_features)
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), history, check_dtype=False)

    # Predictions after every game k equal the scorer on the batch snapshot after k games.
    season = 2013
    scheduled = int(counts.scheduled_games.loc[season])
    batch = snapshot_inputs(counts, season, np.arange(0, scheduled + 1))
    batch["player"] = batch["player"].astype(str)
    key = ["season", "player", "games_played"]
    expected = batch.assign(probability=CountingScorer().predict(batch))[[*key, "probability"]]
    predictions = store.load_predictions()[["season", "player", "games_played", "probability"]]
    merged = expected.merge(predictions, on=["season", "player", "games_played"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    np.testing.assert_array_equal(merged["probability_x"].to_numpy(), merged["probability_y"].to_numpy())
    assert report.predictions_computed == len(expected) and scorer.rows == len(expected)

    # Labels: complete for the season, equal to the batch labels.
    labels = beat_labels(counts.totals)
    stored_labels = store.load(tables.free_throw_labels)
    pd.testing.assert_frame_equal(
        stored_labels.reset_index(drop=True),
        labels[labels["season"] == season].reset_index(drop=True),
        check_dtype=False,
    )
    assert report.labels_new == len(stored_labels)

    # Events: every play of the file, through the ingest path.
    assert store.summary()["rows"] == len(frame)


@pytest.mark.slow
def test_faults_give_identical_results(tmp_path: Path, two_seasons: tuple[Path, pd.DataFrame]) -> None:
    path, _ = two_seasons
    results = []
    for options in ({}, {"error_rate": 0.2}, {"rate_limit": 40.0}):
        store = _store(f"sqlite:///{tmp_path / f'store-{len(results)}.db'}")
        with replay_server(path, release="all", **options) as url:
            client = ScoresApiClient(url, backoff_factor=0.01, retries=20)
            sync_free_throws(store, None, client, scorer=CountingScorer(), retrain=False)
        results.append(_state(store))
    _assert_same(results[0], results[1])
    _assert_same(results[0], results[2])


def test_stop_and_restart_loses_and_duplicates_nothing(tmp_path: Path, two_seasons: tuple[Path, pd.DataFrame]) -> None:
    path, _ = two_seasons
    clean = _store(f"sqlite:///{tmp_path / 'clean.db'}")
    resumed = _store(f"sqlite:///{tmp_path / 'resumed.db'}")
    with replay_server(path, release="all") as url:
        sync_free_throws(clean, None, ScoresApiClient(url), scorer=CountingScorer(), retrain=False)
        total = 0
        for step in (7, 45, 1, 30):  # stops inside seasons, at a season boundary, in the playoffs
            report = sync_free_throws(
                resumed, None, ScoresApiClient(url), scorer=CountingScorer(), max_games=step,
                retrain=False,
            )  # fmt: skip
            total += report.games_processed
            assert report.games_processed == step
        client = ScoresApiClient(url)
        sync_free_throws(resumed, None, client, scorer=CountingScorer(), retrain=False)
    _assert_same(_state(clean), _state(resumed))


def test_cache_and_full_refeed(tmp_path: Path, two_seasons: tuple[Path, pd.DataFrame]) -> None:
    path, _ = two_seasons
    store = _store(f"sqlite:///{tmp_path / 'store.db'}")
    with replay_server(path, release=40) as url:  # the first 40 games of 2012-13 are final
        first = CountingScorer()
        sync_free_throws(store, None, ScoresApiClient(url), scorer=first, retrain=False)
        before = store.load_predictions()
        assert len(before) == 0  # 2012-13 has no previous season in the data: nobody to predict

    store = _store(f"sqlite:///{tmp_path / 'store2.db'}")
    with replay_server(path, release="all") as url:
        first = CountingScorer()
        sync_free_throws(store, None, ScoresApiClient(url), scorer=first, retrain=False)
        stored = store.load_predictions()
        assert first.rows == len(stored)

        # Nothing new: no model call at all.
        again = CountingScorer()
        report = sync_free_throws(store, None, ScoresApiClient(url), scorer=again, retrain=False)
        assert report.games_processed == 0 and again.calls == 0

        # Full refeed: the cache is deleted and every stored point is predicted again.
        refeed = CountingScorer()
        report = sync_free_throws(store, None, ScoresApiClient(url), scorer=refeed, full_refeed=True, retrain=False)
        assert refeed.rows == len(stored) and report.predictions_computed == len(stored)
        assert report.predictions_reused == 0
        after = store.load_predictions()
        pd.testing.assert_frame_equal(after.drop(columns="made_at"), stored.drop(columns="made_at"), check_dtype=False)
        assert (after["made_at"] > stored["made_at"].max()).all()

    # The same inputs again (a second store replaying into the same predictions): answered by the cache.
    with store.engine.begin() as conn:
        conn.execute(ledger.processed_games.delete())
        for table in (tables.free_throw_player_games, tables.free_throw_player_features, tables.free_throw_labels):
            conn.execute(table.delete())
    with replay_server(path, release="all") as url:
        cached = CountingScorer()
        report = sync_free_throws(store, None, ScoresApiClient(url), scorer=cached, retrain=False)
    assert cached.rows == 0 and report.predictions_reused == len(stored) and report.cache_hit_rate == 1.0
    pd.testing.assert_frame_equal(
        store.load_predictions().drop(columns="made_at"), stored.drop(columns="made_at"), check_dtype=False
    )
