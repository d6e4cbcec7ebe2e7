"""The sync engine against a provider that misbehaves and a store that is shared (issue 13):

- a box score of NUL bytes is quarantined on both databases, altered to be storable, and said so;
- a processed game that later vanishes from the provider's schedule is reported, never stops a sync;
- a second sync on the same store is told that one is running (both databases, a fresh one too);
- a quarantined box score holds its season's "not beaten" labels back: the season is not complete
  for labels or retraining, and the ground truth asset names it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from dagster import instance_for_test, materialize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from shot_platform.core.ingest.quarantine import quarantine as quarantine_table
from shot_platform.core.ingest.storable import MAX_STORED_CHARS, storable_text
from shot_platform.free_throws.assets.score_beater_ground_truth import score_beater_ground_truth
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.lock import SyncRunning, sync_lock
from shot_platform.free_throws.flow.retrain import complete_seasons
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.live_metrics import store_progress
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterModelsResource
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.league_provider import League, serving
from shot_platform_tests.stand_in_scorers import LinearScorer


def _client(url: str) -> ScoresApiClient:
    return ScoresApiClient(url, api_key="", backoff_factor=0.01)


def _store(url: str) -> FreeThrowStore:
    store = FreeThrowStore(url)
    store.create_schema()
    return store


# -- item 2: raw text both databases can store -------------------------------------------------


def test_a_box_score_of_nul_bytes_is_quarantined_and_later_syncs_go_on(database_url: str) -> None:
    league = League()
    league.add(1201, 2012, [("A Smith", 1)])
    league.add(1202, 2012, [("A Smith", 1)])
    league.add(1203, 2012, [("A Smith", 0)])
    league.boxes[1202] = b"\x00" * 64 + b"\xff\xfe not json"
    store = FreeThrowStore(database_url)  # no schema yet: the sync creates it
    with serving(league) as (url, _):
        report = sync_free_throws(store, None, _client(url), retrain=False)
        again = sync_free_throws(store, None, _client(url), retrain=False)

    assert report.games_processed == 3 and report.quarantined == 1 and not report.problems
    assert again.games_processed == 0 and again.quarantined == 0
    quarantine = ledger.load_game_quarantine(store).set_index("game_id")
    stored = quarantine.loc[1202]
    assert stored["kind"] == "invalid_box_score"
    assert "\x00" not in stored["payload"] and stored["payload"].startswith("\ufffd" * 64)
    assert "not json" in stored["payload"]
    assert "payload stored altered: 64 NUL or non-UTF-8 characters replaced by U+FFFD" in stored["reason"]
    status = store.load(ledger.processed_games).set_index("game_id")["status"].to_dict()
    assert status == {1201: "processed", 1202: "quarantined", 1203: "processed"}
    store.dispose()


_HOSTILE = st.text(st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff", "\\"])), max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=_HOSTILE, reason=_HOSTILE)
def test_any_text_is_stored_as_storable_text_says(database_url: str, payload: str, reason: str) -> None:
    store = _store(database_url)
    ledger.ensure_schema(store)
    with store.engine.begin() as conn:
        conn.execute(quarantine_table.delete())
        assert ledger.quarantine_game(conn, season=2012, game_id=1, kind="invalid_box_score", reason=reason,
                                      payload=payload) == 1  # fmt: skip
        assert ledger.quarantine_game(conn, season=2012, game_id=1, kind="invalid_box_score", reason=reason,
                                      payload=payload) == 0  # the same problem is recorded once  # fmt: skip
        row = conn.execute(select(quarantine_table.c.raw.label("payload"), quarantine_table.c.reason)).one()
    expected, altered = storable_text(payload)
    assert row.payload == expected
    assert row.reason.startswith(storable_text(reason, 4_096)[0])
    assert ("payload stored altered" in row.reason.removeprefix(storable_text(reason, 4_096)[0])) == bool(altered)
    store.dispose()


@given(text=_HOSTILE, limit=st.integers(min_value=1, max_value=400))
def test_storable_text_removes_nul_and_surrogates_and_bounds_length(text: str, limit: int) -> None:
    stored, altered = storable_text(text, limit)
    assert "\x00" not in stored and len(stored) <= limit
    stored.encode("utf-8")  # no lone surrogate left
    assert (stored == text) == (altered == "")
    if "\x00" not in text and len(text) <= limit and not any("\ud800" <= c <= "\udfff" for c in text):
        assert stored == text


def test_a_huge_payload_is_cut_and_the_reason_says_so(tmp_path: Path) -> None:
    store = _store(f"sqlite:///{tmp_path / 'store.db'}")
    ledger.ensure_schema(store)
    with store.engine.begin() as conn:
        ledger.quarantine_game(conn, season=2012, game_id=1, kind="invalid_box_score", reason="too big",
                               payload="x" * (MAX_STORED_CHARS + 10))  # fmt: skip
    row = ledger.load_game_quarantine(store).iloc[0]
    assert len(row["payload"]) == MAX_STORED_CHARS
    assert row["reason"] == "too big (payload stored altered: cut from 65,546 to 65,536 characters)"
    store.dispose()


# -- item 3c: a processed game that vanishes from the schedule ---------------------------------


def test_a_processed_game_dropped_from_the_schedule_is_reported_and_syncs_go_on(tmp_path: Path) -> None:
    league = League()
    for game_id, made in ((1201, 1), (1202, 1), (1203, 0)):
        league.add(game_id, 2012, [("A Smith", made), ("B Jones", 1)])
    league.add(1204, 2012, [("A Smith", 1)], status="scheduled")
    store = _store(f"sqlite:///{tmp_path / 'store.db'}")
    with serving(league) as (url, _):
        first = sync_free_throws(store, None, _client(url), retrain=False)
        assert first.games_processed == 3
        league.unscheduled.add(1202)  # the provider drops a game we processed ...
        league.finalise(1204)  # ... and the season goes on
        second = sync_free_throws(store, None, _client(url), retrain=False)
        third = sync_free_throws(store, None, _client(url), retrain=False)

    assert second.games_processed == 1 and not second.problems
    assert second.schedule_changes == [
        "game 1202 (regular-season game 2 of 2012-13) was processed but the provider's schedule no longer "
        "lists it: its stored counts are kept"
    ]
    assert "1 processed games no longer in the provider's schedule (counts kept, quarantined)" in second.summary()
    assert third.games_processed == 0 and third.schedule_changes == [] and not third.problems
    quarantine = ledger.load_game_quarantine(store)
    assert quarantine[["game_id", "kind"]].to_dict("records") == [{"game_id": 1202, "kind": "vanished_from_schedule"}]
    numbers = store.load(ledger.processed_games).set_index("game_id")["game_number"].to_dict()
    assert numbers == {1201: 1, 1202: 2, 1203: 3, 1204: 4}  # the dropped game keeps its place
    counts = store.load(tables.free_throw_player_games)
    assert sorted(counts["game_id"].unique()) == [1201, 1202, 1203, 1204]  # its counts are kept
    schedule = store.load(tables.free_throw_schedule)
    assert sorted(schedule["game_id"]) == [1201, 1202, 1203, 1204]
    store.dispose()


# -- item 14: one sync at a time ---------------------------------------------------------------


def test_a_second_sync_is_told_one_is_running(database_url: str) -> None:
    """On a fresh database (no table yet): the first sync holds the lock while it waits for a box
    score; the second is refused at once, before it creates anything; after the first, it runs."""
    league = League()
    league.add(1201, 2012, [("A Smith", 1)])
    league.add(1202, 2012, [("A Smith", 0)])
    asked, release = threading.Event(), threading.Event()

    def hold(game_id: int) -> None:
        asked.set()
        release.wait(30)

    league.before_box = hold
    store = FreeThrowStore(database_url)
    results: list = []
    with serving(league) as (url, _):
        first = threading.Thread(target=lambda: results.append(sync_free_throws(store, None, _client(url),
                                                                               retrain=False)))  # fmt: skip
        first.start()
        try:
            assert asked.wait(30)
            other = FreeThrowStore(database_url)
            with pytest.raises(SyncRunning, match="a free-throw sync is already running on this store"):
                sync_free_throws(other, None, _client(url), retrain=False)
        finally:
            release.set()
            first.join(60)
        assert results and results[0].games_processed == 2
        league.before_box = lambda game_id: None
        assert sync_free_throws(other, None, _client(url), retrain=False).games_processed == 0
    other.dispose()
    store.dispose()


def test_the_lock_is_released_when_the_sync_fails(database_url: str) -> None:
    engine = create_engine(database_url)
    with pytest.raises(ZeroDivisionError), sync_lock(engine):
        1 / 0  # noqa: B018
    other = create_engine(database_url)
    with sync_lock(engine), pytest.raises(SyncRunning), sync_lock(other):  # taken again: the failed one let go
        pass
    other.dispose()
    engine.dispose()


# -- item 15: a quarantined box score and the labels --------------------------------------------


def _two_seasons(bad: bool) -> League:
    """2011-12: A Smith makes 2, B Jones 1. 2012-13: game 1202 holds 3 of A Smith's makes; without it
    he makes 2 (not more than 2: not beaten), with it 5 (beaten). B Jones beats in game 1201.
    2013-14 compares with 2012-13's counts: B Jones beats (3 > 2), A Smith does not (1)."""
    league = League()
    league.add(1101, 2011, [("A Smith", 1), ("A Smith", 1)])
    league.add(1102, 2011, [("B Jones", 1)])
    league.add(1201, 2012, [("A Smith", 1), ("B Jones", 1), ("B Jones", 1)])
    league.add(1202, 2012, [("A Smith", 1)] * 3)
    league.add(1203, 2012, [("A Smith", 1)])
    league.add(1301, 2013, [("A Smith", 1), ("B Jones", 1), ("B Jones", 1), ("B Jones", 1)])
    if bad:  # made more than attempted: the whole box score is refused
        league.boxes[1202]["data"]["players"] = [{"player": "A Smith", "free_throws_attempted": 3,
                                                  "free_throws_made": 4}]  # fmt: skip
    return league


def _ground_truth(database_url: str, models: Path) -> dict:
    resources = {
        "free_throw_store": FreeThrowStoreResource(database_url=database_url),
        "score_beater_models": ScoreBeaterModelsResource(location=str(models)),
    }
    with instance_for_test() as instance:
        result = materialize([score_beater_ground_truth], resources=resources, instance=instance)
    assert result.success
    [event] = result.asset_materializations_for_node("score_beater_ground_truth")
    return {key: getattr(value, "value", value) for key, value in event.metadata.items()}


@pytest.mark.parametrize("bad", [False, True], ids=["valid", "quarantined"])
def test_a_quarantined_box_score_holds_its_seasons_labels_back(database_url: str, tmp_path: Path, bad: bool) -> None:
    store = _store(database_url)
    with serving(_two_seasons(bad)) as (url, _):
        report = sync_free_throws(store, None, _client(url), scorer=LinearScorer(), retrain=False)
    assert report.games_processed == 6

    labels = store.load(tables.free_throw_labels)
    labels = labels[labels["season"] == 2012].set_index("player")[["made", "beat"]].to_dict("index")
    progress = store_progress(store)[2012]
    metadata = _ground_truth(database_url, tmp_path / "models")
    if not bad:
        assert labels == {"A Smith": {"made": 5, "beat": 1}, "B Jones": {"made": 2, "beat": 1}}
        assert progress.complete and complete_seasons(store) == [2012, 2013] and report.held_back == {}
        assert metadata["seasons_with_quarantined_games"] == "none"
        return
    # A Smith's "not beaten" would be wrong (his 3 makes are in the refused box score): no label.
    assert labels == {"B Jones": {"made": 2, "beat": 1}}
    assert report.held_back == {2012: [1202]}
    assert "2012-13 labels not final: 1 regular-season games quarantined (1202)" in report.summary()
    assert not progress.complete and progress.quarantined == (1202,)
    assert progress.describe() == "partial: 3 of 3 games final, 1 quarantined (1202): labels not final"
    # The next season's labels compare with 2012-13's made counts: not final either.
    following = store_progress(store)[2013]
    assert not following.complete and following.last_quarantined == (1202,)
    assert following.describe().endswith("1 games of last season quarantined (1202): labels not final")
    assert complete_seasons(store) == []  # neither trained nor judged on
    assert metadata["seasons_with_quarantined_games"] == "2012-13: games 1202 (labels of 2012-13 and 2013-14 not final)"
    assert metadata["labels_pending"] == 2 and metadata["labels_known"] == 2  # A Smith's, in both seasons
    assert "1 quarantined (1202)" in metadata["partial_seasons"]
    written = store.load(tables.free_throw_labels)  # the asset's upsert does not add the held-back label
    assert pd.Series(written.loc[written["season"] == 2012, "player"]).tolist() == ["B Jones"]
    store.dispose()
