"""The game-by-game sync against a provider on loopback that misbehaves on purpose (issue 13): nothing it
sends stops every future sync. A bad game is quarantined with its reason and the good ones around it
are processed; a fault that is the provider's for now stops the sync with a one-line message (what
came before is committed) and the rerun after the provider recovers completes the flow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.corrections import IMPLAUSIBLE, INVALID_LISTING, KIND, WATERMARK
from shot_platform.free_throws.flow.sync import SyncReport, sync_free_throws, unprocessed_final_games
from shot_platform.free_throws.scores_api import ListingTooLong, ScoresApiClient, ScoresApiUnavailable
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.hostile_provider import (
    Endless,
    HostileProvider,
    box,
    cut_short,
    drip,
    game,
    on_box,
    on_final_listing,
    on_schedule,
    send,
    serving,
    status,
)

GAMES = list(range(101, 109))


def provider() -> HostileProvider:
    schedule = [game(game_id) for game_id in GAMES]
    shots = {game_id: {"A Smith": [1, game_id % 2], "B Jones": [int(game_id % 3 > 0)]} for game_id in GAMES}
    return HostileProvider(schedule, {g["id"]: box(g, shots[g["id"]]) for g in schedule})


def sync(store: FreeThrowStore, url: str, max_games: int | None = None, **options: Any) -> SyncReport:
    client = ScoresApiClient(url, api_key="", backoff_factor=0.01, **options)
    return sync_free_throws(store, None, client, retrain=False, max_games=max_games)


def ledger_status(store: FreeThrowStore) -> dict[int, str]:
    return store.load(ledger.processed_games).set_index("game_id")["status"].to_dict()


def quarantined(store: FreeThrowStore) -> dict[int, tuple[str, str]]:
    rows = ledger.load_game_quarantine(store)
    return {int(row.game_id): (row.kind, row.reason) for row in rows.itertuples()}


def counted_games(store: FreeThrowStore) -> list[int]:
    return sorted(set(store.load(tables.free_throw_player_games)["game_id"].astype(int)))


@pytest.fixture
def flow_store(database_url: str) -> FreeThrowStore:
    store = FreeThrowStore(database_url)
    store.create_schema()
    yield store
    store.dispose()


@pytest.mark.slow
def test_bad_fields_in_the_listing_quarantine_one_game_and_the_flow_goes_on(
    flow_store: FreeThrowStore, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = provider()
    hostile.listed_patch = {
        102: {"home_team_score": -5, "visitor_team_score": float("nan")},  # unused: the game is processed
        103: {"home_team_score": 99_999_999_999},
        104: {"updated_at": "9999-12-31T23:59:59-12:00"},  # used, out of range: quarantined
        106: {"postseason": "no"},  # used: quarantined
    }
    with serving(hostile) as url:
        report = sync(flow_store, url, per_page=3)
        assert report.problems == [] and report.games_processed == len(GAMES) and report.quarantined == 2
        assert ledger_status(flow_store) == {g: "quarantined" if g in (104, 106) else "processed" for g in GAMES}
        found = quarantined(flow_store)
        assert found.keys() == {104, 106}
        assert found[104][0] == "invalid_listing" and "updated_at" in found[104][1] and "out of range" in found[104][1]
        assert found[106][0] == "invalid_listing" and "postseason" in found[106][1]
        assert counted_games(flow_store) == [g for g in GAMES if g not in (104, 106)]  # no count from a bad game
        ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
        assert any("game 102: home_team_score -5 ignored (not used here, and invalid" in m for m in ignored)
        assert any("game 103: home_team_score 99999999999 ignored" in m for m in ignored)

        again = sync(flow_store, url, per_page=3)  # nothing twice
        assert again.games_processed == 0 and again.quarantined == 0 and again.problems == []


@pytest.mark.slow
def test_an_unreadable_game_id_refuses_the_page_clearly_then_the_rerun_completes(tmp_path: Path) -> None:
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    hostile = provider()
    hostile.listed_patch = {104: {"id": "104"}}
    with serving(hostile) as url:
        report = sync(store, url, per_page=100)
        assert report.games_processed == 0 and len(report.problems) == 1
        assert "id '104' is not a game id" in report.problems[0] and "ask the provider" in report.problems[0]
        assert "\n" not in report.problems[0]

        hostile.recover()
        assert sync(store, url).games_processed == len(GAMES)
    assert ledger_status(store) == dict.fromkeys(GAMES, "processed")
    store.dispose()


@pytest.mark.slow
def test_a_deeply_nested_or_endless_box_score_is_quarantined_and_the_rest_processed(
    flow_store: FreeThrowStore,
) -> None:
    hostile = provider()
    nested = '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    hostile.fault(on_box(103), lambda handler: send(handler, 200, nested))
    hostile.fault(on_box(105), Endless())
    with serving(hostile) as url:
        report = sync(flow_store, url, max_body_bytes=2**20)
        assert report.problems == [] and report.games_processed == len(GAMES) and report.quarantined == 2
        found = quarantined(flow_store)
        assert found[103] == ("invalid_box_score", found[103][1]) and "nested deeper" in found[103][1]
        assert "max_body_bytes" in found[105][1]
        assert counted_games(flow_store) == [g for g in GAMES if g not in (103, 105)]
        assert sync(flow_store, url).games_processed == 0


@pytest.mark.slow
def test_transient_faults_are_retried_and_the_sync_completes(tmp_path: Path) -> None:
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    hostile = provider()
    hostile.fault(on_box(102), cut_short(hostile.boxes[102]), times=2)
    hostile.fault(on_box(104), status(429, {"Retry-After": "soon"}), times=2)
    hostile.fault(on_final_listing, status(429, {"Retry-After": "-5"}), times=2)
    with serving(hostile) as url:
        report = sync(store, url)
    assert report.problems == [] and report.games_processed == len(GAMES) and report.quarantined == 0
    assert ledger_status(store) == dict.fromkeys(GAMES, "processed")
    store.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["drip", "429"])
def test_a_stalling_provider_stops_the_sync_within_the_deadline_and_the_rerun_completes(
    tmp_path: Path, fault: str
) -> None:
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    hostile = provider()
    act = drip(0.2, b"{}" + b" " * 1000) if fault == "drip" else status(429, {"Retry-After": "30"})
    hostile.fault(on_box(105), act)
    with serving(hostile) as url:
        assert sync(store, url, max_games=3).games_processed == 3
        with pytest.raises(ScoresApiUnavailable) as error:
            sync(store, url, deadline=1.5)
        message = str(error.value)
        assert "\n" not in message and "try again later" in message
        assert ("1.5 s deadline" in message) if fault == "drip" else ("still answered 429" in message)
        assert list(ledger_status(store)) == GAMES[:3]  # the earlier syncs' games kept, none skipped

        hostile.recover()
        assert sync(store, url, deadline=1.5).problems == []
    assert ledger_status(store) == dict.fromkeys(GAMES, "processed")
    store.dispose()


@pytest.mark.slow
def test_an_endless_schedule_stops_at_the_page_cap_and_the_rerun_completes(tmp_path: Path) -> None:
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    hostile = provider()

    def forever(handler: Any) -> None:
        cursor = int(handler.path.partition("cursor=")[2].partition("&")[0] or 0)
        items = [game(10_000 + cursor * 2 + k, status="scheduled") for k in range(2)]
        send(handler, 200, {"data": items, "meta": {"next_cursor": cursor + 1, "per_page": 2}})

    hostile.fault(on_schedule, forever)
    with serving(hostile) as url:
        with pytest.raises(ListingTooLong, match="no end after 40 pages"):
            sync(store, url, max_pages=40)
        assert len(hostile.requests) < 50
        hostile.recover()
        assert sync(store, url, max_pages=40).games_processed == len(GAMES)
    store.dispose()


@pytest.mark.slow
def test_a_future_updated_at_does_not_end_correction_detection(flow_store: FreeThrowStore) -> None:
    hostile = provider()
    by_id = {g["id"]: g for g in hostile.schedule}
    with serving(hostile) as url:
        assert sync(flow_store, url).games_processed == len(GAMES)

        by_id[103]["updated_at"] = "9999-12-31T00:00:00+00:00"  # a re-stamp far in the future, same result
        checked = dt.datetime.now(dt.UTC)
        report = sync(flow_store, url)
        assert report.problems == [] and report.corrections == [] and report.quarantined == 1
        kind, reason = quarantined(flow_store)[103]
        assert kind == IMPLAUSIBLE and "9999-12-31" in reason and "not used as the corrections watermark" in reason
        with flow_store.engine.connect() as conn:
            watermark = dt.datetime.fromisoformat(ledger.read_state(conn, WATERMARK))
        assert checked <= watermark <= dt.datetime.now(dt.UTC)  # clamped to the check, not 9999

        # A real correction afterwards is still seen, reported once, and the stamp not quarantined twice.
        hostile.boxes[106] = box(by_id[106], {"A Smith": [1, 1], "B Jones": [1]})
        by_id[106]["updated_at"] = dt.datetime.now(dt.UTC).isoformat()
        later = sync(flow_store, url)
        assert len(later.corrections) == 1 and "game 106" in later.corrections[0] and later.quarantined == 1
        assert quarantined(flow_store)[106][0] == KIND
        assert sync(flow_store, url).quarantined == 0


@pytest.mark.slow
def test_a_bad_game_in_the_corrections_feed_is_quarantined_and_the_rest_checked(flow_store: FreeThrowStore) -> None:
    hostile = provider()
    by_id = {g["id"]: g for g in hostile.schedule}
    with serving(hostile) as url:
        assert sync(flow_store, url).games_processed == len(GAMES)
        stamp = dt.datetime.now(dt.UTC).isoformat()
        by_id[102]["updated_at"] = "9999-12-31T23:59:59-12:00"  # out of range in UTC: no usable stamp
        hostile.boxes[107] = box(by_id[107], {"A Smith": [0, 0], "B Jones": [1]})
        by_id[107]["updated_at"] = stamp
        report = sync(flow_store, url)
        assert report.problems == [] and len(report.corrections) == 1 and "game 107" in report.corrections[0]
        kind, reason = quarantined(flow_store)[102]
        assert kind == INVALID_LISTING and "out of range in UTC" in reason
        assert sync(flow_store, url).quarantined == 0  # each reported once


@pytest.mark.slow
def test_the_sensor_sees_a_game_listed_with_a_bad_field_so_a_run_can_quarantine_it(tmp_path: Path) -> None:
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    hostile = provider()
    with serving(hostile) as url:
        assert sync(store, url, max_games=3).games_processed == 3
        hostile.listed_patch = {104: {"updated_at": "9999-12-31T23:59:59-12:00"}}
        client = ScoresApiClient(url, api_key="")
        assert [g.id for g in unprocessed_final_games(store, client)] == GAMES[3:]  # 104 first, from its schedule
        report = sync(store, url)
        assert report.games_processed == len(GAMES) - 3 and report.quarantined == 1
        assert unprocessed_final_games(store, client) == []
    store.dispose()
