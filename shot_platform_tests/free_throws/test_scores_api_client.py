"""ScoresApiClient against a scripted provider on loopback that answers badly on purpose:
malformed pages, inconsistent box scores, errors, Retry-After, time-outs, a closed port."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from shot_platform.free_throws.scores_api import (
    GameNotFinal,
    InvalidBoxScore,
    MalformedResponse,
    ScoresApiClient,
    ScoresApiConfigError,
    ScoresApiError,
    ScoresApiUnavailable,
    UnknownGame,
)
from shot_platform.free_throws.scores_api.process import free_port
from shot_platform_tests.scores_api_support import scripted_provider


def game(game_id: int, season: int = 2010, status: str = "final") -> dict[str, Any]:
    final = status == "final"
    return {
        "id": game_id,
        "season": season,
        "postseason": False,
        "status": status,
        "home_team": "LAL",
        "visitor_team": "PHX",
        "home_team_score": 114 if final else None,
        "visitor_team_score": 106 if final else None,
    }


def play(game_id: int, player: str, made: bool) -> dict[str, str]:
    return {
        "end_result": "106 - 114",
        "game": "PHX - LAL",
        "game_id": str(game_id),
        "period": "1",
        "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2",
        "player": player,
        "playoffs": "regular",
        "score": "0 - 1",
        "season": "2010 - 2011",
        "shot_made": "1" if made else "0",
        "time": "11:45",
    }


def box(game_id: int, lines: dict[str, tuple[int, int]]) -> dict[str, Any]:
    plays = [
        play(game_id, player, made=index < made)
        for player, (attempted, made) in lines.items()
        for index in range(attempted)
    ]
    players = [{"player": p, "free_throws_attempted": a, "free_throws_made": m} for p, (a, m) in lines.items()]
    return {"data": {"game": game(game_id), "players": players, "plays": plays}}


def page(items: list[dict[str, Any]], next_cursor: Any) -> dict[str, Any]:
    return {"data": items, "meta": {"next_cursor": next_cursor, "per_page": 2}}


def client(url: str, **options: Any) -> ScoresApiClient:
    return ScoresApiClient(url, api_key="", per_page=2, backoff_factor=0.01, **options)


def paged(pages: dict[str | None, Any]):
    """Answers /v1/games from {cursor: payload}; a str payload is sent as is."""

    def respond(path: str, query: dict[str, str]):
        return 200, pages[query.get("cursor")], {}

    return respond


def test_a_good_listing_then_a_malformed_page_stops_without_skipping() -> None:
    pages = {None: page([game(1), game(2)], 2), "2": "{not json"}
    with scripted_provider(paged(pages)) as (url, _):
        seen = []
        with pytest.raises(MalformedResponse, match="not JSON") as error:
            seen.extend(item.id for item in client(url).final_games_after(None))
        assert seen == [1, 2]  # what came before is delivered; nothing after the bad page is invented
        assert isinstance(error.value, ScoresApiError)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"data": [game(1)]}, "meta: missing"),
        ({"meta": {"next_cursor": None, "per_page": 2}}, "data: Field required"),
        (page([game(1), {k: v for k, v in game(2).items() if k != "home_team"}], None), "data.1: game 2: home_team"),
        (page([game(1) | {"id": "1"}], None), "data.0: id '1' is not a game id"),
        (page([game(1) | {"id": 1.0}], None), "data.0: id 1.0 is not a game id"),
        (page([game(1) | {"postseason": "no"}], None), "data.0: game 1: postseason"),
        (page([game(1) | {"status": "done"}], None), "data.0: game 1: status"),
        (page({"id": 1}, None), "data: a list expected"),
        (page([game(2), game(1)], None), "not in (season, id) order"),
        (page([game(1), game(1)], None), "repeats a game"),
        (page([game(1, season=2011), game(2, season=2010)], None), "not in (season, id) order"),
        (page([game(1, status="scheduled")], None), "is scheduled, not final"),
        (page([], 5), "does not advance"),
    ],
)
def test_malformed_listings_raise_with_the_reason(payload: Any, reason: str) -> None:
    with scripted_provider(paged({None: payload})) as (url, _):
        with pytest.raises(MalformedResponse) as error:
            list(client(url).final_games_after(None))
        assert reason in str(error.value)


def test_a_cursor_that_does_not_advance_is_an_error_not_a_loop() -> None:
    pages = {None: page([game(1), game(2)], 2), "2": page([game(3), game(4)], 2)}
    with scripted_provider(paged(pages)) as (url, provider):
        with pytest.raises(MalformedResponse, match="does not advance"):
            list(client(url).final_games_after(None))
        assert len(provider.requests) == 2


def test_a_listing_that_returns_the_after_game_again_is_rejected() -> None:
    with scripted_provider(paged({None: page([game(5), game(6)], None)})) as (url, provider):
        with pytest.raises(MalformedResponse, match="repeats a game"):
            list(client(url).final_games_after(5))
        assert "after=5" in provider.requests[0]


def box_answers(answer: Any, status: int = 200):
    def respond(path: str, query: dict[str, str]):
        return status, answer, {}

    return respond


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (box(7, {"A": (2, 3)}), "free_throws_made 3 exceeds free_throws_attempted 2"),
        (box(8, {"A": (2, 1)}), "unknown game: asked for game 7, got game 8"),
        ({"data": {"game": game(7), "players": [], "plays": [play(7, "A", True)]}}, "missing from the box score"),
        (
            {
                "data": box(7, {"A": (2, 1)})["data"]
                | {"players": [{"player": "A", "free_throws_attempted": 3, "free_throws_made": 1}]}
            },
            "free_throws_attempted 3 but 2 plays",
        ),
        (
            {
                "data": box(7, {"A": (1, 1)})["data"]
                | {"players": [{"player": "A", "free_throws_attempted": 1, "free_throws_made": 0}]}
            },
            "free_throws_made 0 but 1 plays with shot_made 1",
        ),
        (
            {"data": box(7, {"A": (1, 1)})["data"] | {"plays": [play(9, "A", True)]}},
            "plays of another game (9)",
        ),
        (
            {
                "data": box(7, {"A": (1, 1)})["data"]
                | {"players": [{"player": "A", "free_throws_attempted": 1, "free_throws_made": 1}] * 2}
            },
            "players listed twice: A",
        ),
        (
            {
                "data": box(7, {"A": (1, 1)})["data"]
                | {"players": [{"player": "A", "free_throws_attempted": 1.0, "free_throws_made": 1}]}
            },
            "players.0.free_throws_attempted",
        ),
        (
            {
                "data": box(7, {"A": (1, 1)})["data"]
                | {"plays": [{k: v for k, v in play(7, "A", True).items() if k != "time"}]}
            },
            "plays.0.time: Field required",
        ),
        ({"data": [1, 2]}, 'not a {"data": {...}} object'),
        ("<html>oops</html>", "not JSON"),
    ],
)
def test_bad_box_scores_become_quarantine_records(payload: Any, reason: str) -> None:
    with scripted_provider(box_answers(payload)) as (url, _), pytest.raises(InvalidBoxScore) as error:
        client(url).box_score(7)
    record = error.value.record
    assert record.game_id == 7
    assert reason in record.reason
    if isinstance(payload, str):
        assert record.payload == payload  # the body exactly as received
    else:
        assert json.loads(record.payload) == payload


def test_a_good_box_score_parses() -> None:
    with scripted_provider(box_answers(box(7, {"A": (3, 2), "B": (2, 0)}))) as (url, _):
        result = client(url).box_score(7)
    assert {line.player: (line.free_throws_attempted, line.free_throws_made) for line in result.players} == {
        "A": (3, 2),
        "B": (2, 0),
    }
    assert len(result.rows()) == 5


def test_not_found_and_not_final_are_told_apart() -> None:
    scheduled = {"data": {"game": game(7, status="scheduled"), "players": [], "plays": []}}
    cases = [
        (404, {"error": "no game 7", "code": "unknown_game"}, UnknownGame),
        (404, {"error": "later", "code": "not_final"}, GameNotFinal),
        (200, scheduled, GameNotFinal),  # a provider that answers 200 with the game still scheduled
    ]
    for status, answer, expected in cases:
        with scripted_provider(box_answers(answer, status)) as (url, _), pytest.raises(expected):
            client(url).box_score(7)


def test_5xx_is_retried_with_backoff_then_reported() -> None:
    calls = []

    def flaky(path: str, query: dict[str, str]):
        calls.append(time.monotonic())
        if len(calls) <= 2:
            return 503, {"error": "busy"}, {}
        return 200, page([game(1)], None), {}

    with scripted_provider(flaky) as (url, _):
        assert [item.id for item in client(url).final_games_after(None)] == [1]
    assert len(calls) == 3

    with scripted_provider(box_answers({"error": "down"}, 500)) as (url, provider):
        with pytest.raises(ScoresApiUnavailable, match="still answered 500 after 3 retries"):
            client(url, retries=3).box_score(7)
        assert len(provider.requests) == 4


def test_429_waits_for_retry_after() -> None:
    calls = []

    def limited(path: str, query: dict[str, str]):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return 429, {"error": "slow down"}, {"Retry-After": "1"}
        return 200, page([game(1)], None), {}

    with scripted_provider(limited) as (url, _):
        assert [item.id for item in client(url).final_games_after(None)] == [1]
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95  # slept the server's second, not its 0.01 s backoff


def test_timeouts_and_a_closed_port_are_unavailable_not_crashes() -> None:
    def slow(path: str, query: dict[str, str]):
        time.sleep(1.0)
        return 200, page([], None), {}

    with scripted_provider(slow) as (url, provider):
        started = time.monotonic()
        with pytest.raises(ScoresApiUnavailable, match="cannot reach"):
            client(url, timeout=0.2, retries=1).seasons()
        assert time.monotonic() - started < 1.5
        assert len(provider.requests) == 2  # a read time-out is retried too

    with pytest.raises(ScoresApiUnavailable, match="SHOT_PLATFORM_SCORES_API_URL"):
        client(f"http://127.0.0.1:{free_port()}", retries=1).seasons()


def test_url_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOT_PLATFORM_SCORES_API_URL", raising=False)
    with pytest.raises(ScoresApiConfigError, match="SHOT_PLATFORM_SCORES_API_URL"):
        ScoresApiClient()

    def respond(path: str, query: dict[str, str]):
        return 200, page([], None), {}

    with scripted_provider(respond) as (url, provider):
        monkeypatch.setenv("SHOT_PLATFORM_SCORES_API_URL", url + "/")
        monkeypatch.setenv("SHOT_PLATFORM_SCORES_API_KEY", "k-123")
        assert ScoresApiClient().seasons() == []
        assert ScoresApiClient(url, api_key="other").seasons() == []
        assert ScoresApiClient(url, api_key="").seasons() == []  # "" means: send no key
    assert provider.requests[0].startswith("/v1/seasons")
    assert provider.authorization == ["k-123", "other", None]
