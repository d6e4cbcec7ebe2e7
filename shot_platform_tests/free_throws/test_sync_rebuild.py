"""The ``free_throw_player_features`` asset (``features.tables.rebuild_features``) run in the middle of a
season the sync engine is building game by game: the rebuild from the same stored events must give
back exactly the rows the sync wrote (schedule, player-game counts, features), and the sync must go
on from there to the same end state as a sync never interrupted by a rebuild. Against the real
replay server process on loopback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.flow.retrain import complete_seasons
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.scores_api import ReplayClient, ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.stand_in_scorers import LinearScorer

DERIVED = (tables.free_throw_schedule, tables.free_throw_player_games, tables.free_throw_player_features)


@pytest.fixture(scope="module")
def seasons_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate_free_throws(seasons=2, first_season=2012, regular_games=40, playoff_games=3, seed=21)
    return write_free_throws(frame, tmp_path_factory.mktemp("rebuild") / "ft.csv.gz")


def _derived(store: FreeThrowStore) -> dict[str, pd.DataFrame]:
    return {table.name: store.load(table).reset_index(drop=True) for table in DERIVED}


def _assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False, obj=name)


def _sync(store: FreeThrowStore, url: str) -> None:
    sync_free_throws(store, None, ScoresApiClient(url), scorer=LinearScorer(), retrain=False)


def test_rebuild_mid_season_keeps_the_rows_the_sync_wrote(
    database_url: str, seasons_file: Path, tmp_path: Path
) -> None:
    store = FreeThrowStore(database_url)
    store.create_schema()
    clean = FreeThrowStore(f"sqlite:///{tmp_path / 'clean.db'}")  # never rebuilt
    clean.create_schema()
    with replay_server(seasons_file, release=0) as url:
        client = ReplayClient(url)
        first = client.schedule(2012)
        client.advance(len(first) + 15)  # 2012-13 whole, and the first 15 games of 2013-14
        _sync(store, url)
        synced = _derived(store)
        predicted = store.load(tables.free_throw_player_features)
        assert (predicted["season"] == 2013).any() and predicted["games_played"].max() == 15

        counts, _ = rebuild_features(store)
        _assert_same(synced, _derived(store))
        # The season in progress keeps its whole schedule (the API's), not just the games played so far.
        regular = [g for g in client.schedule(2013) if not g.postseason and not g.all_star]
        assert int(counts.scheduled_games.loc[2013]) == len(regular) == 40
        assert 2013 not in complete_seasons(store)  # 2013-14 is not mistaken for a complete season

        # The sync goes on after the rebuild to the same end as one never interrupted.
        client.advance(10_000)
        _sync(store, url)
        _sync(clean, url)
        _assert_same(_derived(clean), _derived(store))
        pd.testing.assert_frame_equal(
            clean.load_predictions().drop(columns="made_at"),
            store.load_predictions().drop(columns="made_at"),
            check_dtype=False,
        )
        clean.dispose()
        finished = _derived(store)
        rebuild_features(store)
        _assert_same(finished, _derived(store))
    store.dispose()
