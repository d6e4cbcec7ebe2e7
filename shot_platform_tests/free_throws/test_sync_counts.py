"""A batch's per-game counts (``flow.season_counts.game_counts``): from the ingested frame when it is
exactly what was stored, from the store otherwise; either way the counts of the stored events (what
the batch path counts). Against the real replay server process on loopback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shot_platform.free_throws.flow.feed import Fetched, plays_frame
from shot_platform.free_throws.flow.season_counts import game_counts, stored_before
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.ingest.events import ingest_free_throw_file, ingest_free_throw_frame
from shot_platform.free_throws.schema import PLAYER, REGULAR, season_label
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.stand_in_scorers import LinearScorer

SEASON = 2012


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    """One small season: 30 regular games, an All-Star game, 4 playoff games."""
    return generate_free_throws(seasons=1, first_season=SEASON, regular_games=30, playoff_games=4, seed=5)


def _store(url: str) -> FreeThrowStore:
    store = FreeThrowStore(url)
    store.create_schema()
    return store


def _stored_counts(store: FreeThrowStore) -> pd.DataFrame:
    """Per game and player: made and attempted of the stored regular-season events (the batch path)."""
    events = store.load_events()
    regular = events[(events["playoffs"] == REGULAR) & (events["season"] == season_label(SEASON))]
    counts = regular.groupby(["game_id", PLAYER])["shot_made"].agg(made="sum", attempted="size").reset_index()
    return counts.astype({"game_id": "int64", "made": "int64", "attempted": "int64"})


def _as_frame(counts: dict[int, pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat([rows.assign(game_id=game_id) for game_id, rows in counts.items()], ignore_index=True)
    return frame[["game_id", PLAYER, "made", "attempted"]].sort_values(["game_id", PLAYER], ignore_index=True)


def test_counts_from_the_ingested_frame_equal_those_of_the_stored_events(
    database_url: str, season: pd.DataFrame, tmp_path: Path
) -> None:
    store = _store(database_url)
    with replay_server(write_free_throws(season, tmp_path / "ft.csv.gz"), release="all") as url:
        client = ScoresApiClient(url)
        fetched = [Fetched(game, client.box_score(game.id)) for game in client.schedule(SEASON)]
    plays = plays_frame(fetched)
    assert plays is not None and len(plays) == len(season)
    with store.transaction() as conn:
        assert not stored_before(conn, fetched)
        assert ingest_free_throw_frame(store, plays, "test").inserted == len(plays)
        from_frame = game_counts(conn, fetched, plays)
        from_store = game_counts(conn, fetched, None)
        assert stored_before(conn, fetched)
    # Playoff plays count nowhere; every game with a regular-season play has its counts.
    assert len(from_frame) == season.loc[season["playoffs"] == REGULAR, "game_id"].nunique() < len(fetched)
    pd.testing.assert_frame_equal(_as_frame(from_frame), _as_frame(from_store))
    pd.testing.assert_frame_equal(_as_frame(from_frame), _stored_counts(store))
    store.dispose()


def test_a_sync_over_events_stored_before_counts_every_stored_event(season: pd.DataFrame, tmp_path: Path) -> None:
    """A file ingested before the sync holds a game whose first row was invalid (its other rows are
    stored as attempts 2..k); the API then serves that game with its first play only, which ingest
    inserts as new, like every other play of the batch. The game's counts are those of all its
    stored events, not of the batch's plays alone."""
    store = _store(f"sqlite:///{tmp_path / 'store.db'}")
    regular = season[(season["playoffs"] == REGULAR) & ~season["game"].str.contains("EAST|WEST")]
    sizes = regular.groupby("game_id").size()
    game_id = int(sizes[sizes >= 3].index[5])
    rows = season[season["game_id"] == game_id]
    before = rows.astype({"shot_made": object})
    before.iloc[0, before.columns.get_loc("shot_made")] = "7"
    report = ingest_free_throw_file(store, write_free_throws(before, tmp_path / "before.csv.gz"))
    assert (report.inserted, report.quarantined) == (len(rows) - 1, 1)

    served = season.drop(index=rows.index[1:])
    with replay_server(write_free_throws(served, tmp_path / "served.csv.gz"), release="all") as url:
        sync_free_throws(store, None, ScoresApiClient(url), scorer=LinearScorer(), retrain=False)

    synced = store.load(tables.free_throw_player_games)
    assert int(synced.loc[synced["game_id"] == game_id, "attempted"].sum()) == len(rows)
    scheduled = set(store.load(tables.free_throw_schedule)["game_id"])
    expected = _stored_counts(store)
    expected = expected[expected["game_id"].isin(scheduled)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        synced[["game_id", PLAYER, "made", "attempted"]].sort_values(["game_id", PLAYER], ignore_index=True),
        expected,
        check_dtype=False,
    )
    store.dispose()
