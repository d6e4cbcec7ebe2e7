"""ScoresApiClient against a provider on loopback that misbehaves on purpose (issue 13): a request has an
overall deadline (a byte-by-byte drip of the body or of the headers), bodies are capped (with or
without Content-Length), listings are capped (a cursor that never ends), transient faults are
retried within the deadline (a body cut short, 429 with a bad Retry-After), and nothing the provider
sends crashes the client with an error that is not a ``ScoresApiError`` (deep nesting, times out of
range). Each is a clear, one-line error, or a quarantine record with its reason."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shot_platform.free_throws.scores_api import (
    InvalidBoxScore,
    InvalidListedGame,
    ListingTooLong,
    MalformedResponse,
    ResponseTooLarge,
    ScoresApiClient,
    ScoresApiUnavailable,
)
from shot_platform.free_throws.scores_api.payloads import decode, parse_listed_game
from shot_platform.free_throws.scores_api.transport import retry_after
from shot_platform_tests.hostile_provider import (
    Endless,
    HostileProvider,
    box,
    cut_short,
    drip,
    drip_headers,
    game,
    on_any,
    on_box,
    on_final_listing,
    send,
    serving,
    status,
)

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
URL = "http://127.0.0.1:1/v1/games"


def provider(count: int = 4) -> HostileProvider:
    schedule = [game(101 + index) for index in range(count)]
    return HostileProvider(schedule, {g["id"]: box(g, {"A Smith": [1, 0], "B Jones": [1]}) for g in schedule})


def client(url: str, **options: Any) -> ScoresApiClient:
    return ScoresApiClient(url, api_key="", backoff_factor=0.01, **options)


# -- an overall deadline per request ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fault", [drip(0.2), drip_headers(0.2)], ids=["body", "headers"])
def test_a_drip_ends_at_the_overall_deadline_and_the_next_request_works(fault: Any) -> None:
    hostile = provider()
    with serving(hostile) as url:
        hostile.fault(on_final_listing, fault)
        started = time.monotonic()
        with pytest.raises(ScoresApiUnavailable, match=r"no complete answer within the 1\.5 s deadline") as error:
            list(client(url, deadline=1.5, timeout=10).final_games_after(None))
        assert time.monotonic() - started < 3.0  # each byte came within the 10 s read time-out
        assert "\n" not in str(error.value) and "try again later" in str(error.value)
        hostile.recover()
        assert [g.id for g in client(url, deadline=1.5).final_games_after(None)] == [101, 102, 103, 104]


# -- transient faults are retried within the deadline ----------------------------------------------


@pytest.mark.slow
def test_a_body_cut_short_is_retried() -> None:
    hostile = provider()
    with serving(hostile) as url:
        hostile.fault(on_box(102), cut_short(hostile.boxes[102]), times=2)
        result = client(url).box_score(102)
    assert [line.player for line in result.players] == ["A Smith", "B Jones"]
    assert sum(path.startswith("/v1/games/102/") for path in hostile.requests) == 3


@pytest.mark.slow
@pytest.mark.parametrize("header", ["soon", "-5", "", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_429_with_a_retry_after_that_is_no_delay_is_retried_with_backoff(header: str) -> None:
    hostile = provider()
    with serving(hostile) as url:
        hostile.fault(on_final_listing, status(429, {"Retry-After": header}), times=3)
        started = time.monotonic()
        assert [g.id for g in client(url).final_games_after(None)] == [101, 102, 103, 104]
    assert time.monotonic() - started < 2.0
    assert len(hostile.requests) == 4


@pytest.mark.slow
def test_a_429_forever_gives_up_within_the_deadline_saying_what_happened() -> None:
    hostile = provider()
    with serving(hostile) as url:
        hostile.fault(on_any, status(429, {"Retry-After": "600"}))
        started = time.monotonic()
        with pytest.raises(ScoresApiUnavailable) as error:
            client(url, deadline=5).box_score(101)
        assert time.monotonic() - started < 1.0  # a wait past the deadline is not begun
        assert "still answered 429" in str(error.value) and "Retry-After '600'" in str(error.value)
        assert "try again later" in str(error.value)

        hostile.recover()
        hostile.fault(on_any, status(429, {"Retry-After": "1"}))
        started = time.monotonic()
        with pytest.raises(ScoresApiUnavailable, match="still answered 429"):
            client(url, deadline=2.5, retries=50).box_score(101)
        assert time.monotonic() - started < 3.0  # 50 retries allowed, the deadline bounds them


@given(st.text(max_size=40))
@example("soon")
@example("-5")
@example("Sun, 06 Nov 1994 08:49:37 GMT")
@example("Sun, 06 Nov 99999 08:49:37 GMT")
@example("\u00b2")
@example("9" * 5000)
def test_any_retry_after_header_is_a_delay_or_none(header: str) -> None:
    wait = retry_after(header, now=0.0)
    assert wait is None or wait >= 0.0


# -- capped bodies and listings --------------------------------------------------------------------


@pytest.mark.slow
def test_an_endless_box_score_body_is_cut_at_the_cap_and_quarantined() -> None:
    hostile = provider()
    endless = Endless()
    with serving(hostile) as url:
        hostile.fault(on_box(102), endless)
        with pytest.raises(InvalidBoxScore) as error:
            client(url, max_body_bytes=2**20).box_score(102)
        assert "over the client's max_body_bytes 1,048,576" in error.value.record.reason
        assert error.value.record.payload.startswith('{"data": {"plays": [')  # the first bytes, as received
        assert endless.sent < 32 * 2**20  # the client stopped reading; the server could not go on
        assert client(url).box_score(103).game.id == 103  # the other games are read as usual


@pytest.mark.slow
def test_a_declared_huge_body_is_refused_before_it_is_read() -> None:
    hostile = provider()

    def huge(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(400 * 2**20))
        handler.end_headers()
        handler.wfile.write(b'{"data": [' + b" " * 2**16)

    with serving(hostile) as url:
        hostile.fault(on_final_listing, huge)
        with pytest.raises(ResponseTooLarge, match=r"a body of 419,430,400 bytes \(Content-Length\)"):
            list(client(url, max_body_bytes=2**20).final_games_after(None))


@pytest.mark.slow
def test_a_listing_that_never_ends_stops_at_the_page_cap() -> None:
    hostile = provider()

    def forever(handler: Any) -> None:
        cursor = int(handler.path.partition("cursor=")[2].partition("&")[0] or 0)
        items = [game(1000 + cursor * 2 + k) for k in range(2)]
        send(handler, 200, {"data": items, "meta": {"next_cursor": cursor + 1, "per_page": 2}})

    with serving(hostile) as url:
        hostile.fault(on_final_listing, forever)
        seen = []
        with pytest.raises(ListingTooLong, match=r"no end after 25 pages .* raise max_pages"):
            seen.extend(g.id for g in client(url, per_page=2, max_pages=25).final_games_after(None))
        assert len(hostile.requests) == 25 and len(seen) == 50
        with pytest.raises(ListingTooLong, match="more than 30 items in one listing"):
            list(client(url, per_page=2, max_listing_items=30).final_games_after(None))


# -- nothing crashes the client with anything but a ScoresApiError ---------------------------------


@given(depth=st.integers(1, 200_000))
@example(depth=100_000)
@relaxed
def test_any_nesting_depth_decodes_or_is_a_malformed_response(depth: int) -> None:
    try:
        value = decode(b"[" * depth + b"]" * depth, URL)
    except MalformedResponse as error:
        assert "nested deeper than the parser goes" in error.reason
    else:
        assert isinstance(value, list)


@pytest.mark.slow
def test_a_deeply_nested_box_score_is_quarantined_not_a_crash() -> None:
    hostile = provider()
    with serving(hostile) as url:
        for depth in (100_000, 900, 5):  # beyond the parser; within it (then dumped back); shallow
            nested = "[" * depth + "]" * depth
            hostile.fault(on_box(102), lambda handler, text=nested: send(handler, 200, '{"data": ' + text + "}"), 1)
            with pytest.raises(InvalidBoxScore) as error:
                client(url).box_score(102)
            assert error.value.record.game_id == 102 and error.value.record.reason
        hostile.fault(on_final_listing, lambda handler: send(handler, 200, "[" * 100_000 + "]" * 100_000), 1)
        with pytest.raises(MalformedResponse, match="nested deeper"):
            list(client(url).final_games_after(None))


any_times = st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
    st.builds(
        lambda when, hours: when.isoformat() + f"{'-' if hours < 0 else '+'}{abs(hours):02d}:00",
        st.datetimes(min_value=dt.datetime(9999, 12, 31), max_value=dt.datetime.max)
        | st.datetimes(max_value=dt.datetime(1, 1, 2)),
        st.integers(-23, 23),
    ),
    st.integers(),
    st.none(),
)


@given(updated_at=any_times)
@example(updated_at="9999-12-31T23:59:59-12:00")
@example(updated_at="0001-01-01T00:00:00+14:00")
@relaxed
def test_any_updated_at_is_a_game_in_utc_or_a_game_to_quarantine(updated_at: Any) -> None:
    try:
        listed, notes = parse_listed_game(game(7) | {"updated_at": updated_at}, 0, URL)
    except InvalidListedGame as error:
        assert error.game_id == 7 and error.season == 2012 and "updated_at" in error.record.reason
        assert json.loads(error.record.payload)["updated_at"] == updated_at
    else:
        assert notes == []
        assert listed.updated_at is None or listed.updated_at.utcoffset() == dt.timedelta(0)


unused_values = st.one_of(
    st.integers(), st.floats(), st.text(max_size=20), st.booleans(), st.none(), st.lists(st.integers(), max_size=3)
)


@given(home=unused_values, visitor=unused_values)
@example(home=-5, visitor=None)
@example(home=float("nan"), visitor="92")
@example(home=99_999_999_999, visitor=0)
@relaxed
def test_any_value_of_an_unused_field_leaves_the_game_usable(home: Any, visitor: Any) -> None:
    raw = game(7) | {"home_team_score": home, "visitor_team_score": visitor}
    listed, notes = parse_listed_game(raw, 0, URL)
    assert (listed.id, listed.season, listed.status) == (7, 2012, "final")
    for name, value in (("home_team_score", home), ("visitor_team_score", visitor)):
        kept = getattr(listed, name)
        valid = type(value) is int and 0 <= value <= 2**31 - 1
        assert kept == (value if valid else None)  # a bad value is never kept as something else
        assert any(note.startswith(f"game 7: {name} ") for note in notes) == (not valid and value is not None)


@pytest.mark.slow
def test_a_listing_with_bad_fields_keeps_every_game_it_can() -> None:
    """Through the server: unused bad fields are ignored; a bad used field is handed over (or raised
    after the good games before it); an unreadable id refuses the page, saying what to do."""
    hostile = provider(6)
    hostile.listed_patch = {102: {"home_team_score": -5}, 103: {"visitor_team_score": "92"},
                            104: {"updated_at": "9999-12-31T23:59:59-12:00"}, 105: {"postseason": "no"}}  # fmt: skip
    with serving(hostile) as url:
        bad: list[InvalidListedGame] = []
        games = list(client(url, per_page=2).final_games_after(None, on_invalid=bad.append))
        assert [g.id for g in games] == [101, 102, 103, 106]
        assert [(b.game_id, b.season) for b in bad] == [(104, 2012), (105, 2012)]
        assert "out of range in UTC" in bad[0].record.reason and "postseason" in bad[1].record.reason

        seen = []
        with pytest.raises(InvalidListedGame, match=r"data\.1: game 104: updated_at"):
            seen.extend(g.id for g in client(url, per_page=2).final_games_after(None))
        assert seen == [101, 102, 103]

        hostile.listed_patch[103] = {"id": "103"}
        with pytest.raises(MalformedResponse, match=r"id '103' is not a game id .* ask the provider to fix it"):
            list(client(url, per_page=2).final_games_after(None, on_invalid=bad.append))


@pytest.mark.slow
def test_any_unused_value_or_updated_at_through_the_server_loses_no_game() -> None:
    """Every listed game comes out as a game or as one to quarantine, whatever game 102 carries."""
    hostile = provider()
    with serving(hostile) as url:
        listing = client(url, per_page=3)

        @given(score=unused_values, updated_at=any_times)
        @example(score=-5, updated_at="9999-12-31T23:59:59-12:00")
        @settings(relaxed, max_examples=40)
        def check(score: Any, updated_at: Any) -> None:
            hostile.listed_patch = {102: {"home_team_score": score, "updated_at": updated_at}}
            bad: list[InvalidListedGame] = []
            games = {g.id: g for g in listing.final_games_after(None, on_invalid=bad.append)}
            assert sorted([*games, *(b.game_id for b in bad)]) == [101, 102, 103, 104]
            if bad:  # only a used field makes the game unusable
                assert [b.game_id for b in bad] == [102] and "updated_at" in bad[0].record.reason
            else:
                assert games[102].home_team_score in (score, None)

        check()
