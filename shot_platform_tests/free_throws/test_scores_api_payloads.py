"""Property tests of the Scores API's payload parsers and the replay server's query parsing."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from shot_platform.core.names import REFUSED_CATEGORIES
from shot_platform.free_throws.scores_api.errors import GameNotFinal, InvalidBoxScore, MalformedResponse
from shot_platform.free_throws.scores_api.payloads import MAX_ID, Game, Season, parse_box_score, parse_page
from shot_platform.free_throws.scores_api.server import BadRequest, _int_arg

# No per-example deadline: the 2-core machine is shared, and a slow example is not a wrong one.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
names = st.text(st.characters(codec="utf-8", exclude_categories=REFUSED_CATEGORIES), min_size=1, max_size=30)
counts = st.integers(0, 40)


@st.composite
def games(draw: st.DrawFn, status: str | None = None) -> dict[str, Any]:
    final = (status or draw(st.sampled_from(["scheduled", "final"]))) == "final"
    return {
        "id": draw(st.integers(1, MAX_ID)),
        "season": draw(st.integers(1800, 9999)),
        "postseason": draw(st.booleans()),
        "all_star": draw(st.booleans()),
        "status": "final" if final else "scheduled",
        "home_team": draw(names),
        "visitor_team": draw(names),
        "home_team_score": draw(counts) if final else None,
        "visitor_team_score": draw(counts) if final else None,
        "updated_at": draw(updated_ats) if final else None,
    }


# A provider's times: ISO 8601 with a zone (any offset), or none at all.
updated_ats = st.one_of(
    st.none(),
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=2))]),
    ).map(dt.datetime.isoformat),
)


def parsed(game: dict[str, Any]) -> dict[str, Any]:
    """A game's JSON as ``Game.model_dump()`` gives it back: ``updated_at`` as an aware time in UTC."""
    when = game.get("updated_at")
    return game | {"updated_at": dt.datetime.fromisoformat(when).astimezone(dt.UTC) if when else None}


@st.composite
def box_scores(draw: st.DrawFn) -> dict[str, Any]:
    game = draw(games(status="final"))
    lines = draw(st.dictionaries(names, st.tuples(counts, counts).map(sorted), max_size=8))
    plays = []
    for player, (made, attempted) in lines.items():
        for index in range(attempted):
            plays.append(
                {
                    "end_result": "100 - 98",
                    "game": f"{game['visitor_team']} - {game['home_team']}",
                    "game_id": str(game["id"]),
                    "period": "4",
                    "play": f"{player} free throw",
                    "player": player,
                    "playoffs": "playoffs" if game["postseason"] else "regular",
                    "score": "1 - 0",
                    "season": f"{game['season']} - {game['season'] + 1}",
                    "shot_made": "1" if index < made else "0",
                    "time": "0:01",
                }
            )
    plays = draw(st.permutations(plays))
    players = [{"player": p, "free_throws_attempted": a, "free_throws_made": m} for p, (m, a) in lines.items()]
    return {"data": {"game": game, "players": players, "plays": plays}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@relaxed
@given(box_scores())
def test_valid_box_scores_parse_to_the_same_counts_and_rows(payload: dict[str, Any]) -> None:
    game_id = payload["data"]["game"]["id"]
    box = parse_box_score(copy.deepcopy(payload), game_id)
    assert box.game.model_dump() == parsed(payload["data"]["game"])
    assert box.game.updated_at is None or box.game.updated_at.tzinfo == dt.UTC
    assert [line.model_dump() for line in box.players] == payload["data"]["players"]
    assert box.rows() == payload["data"]["plays"]


@relaxed
@given(box_scores(), st.integers(1, 5), st.data())
def test_made_above_attempted_is_rejected_with_its_reason(payload: dict[str, Any], extra: int, data) -> None:
    players = payload["data"]["players"]
    assume(players)
    line = data.draw(st.sampled_from(players))
    line["free_throws_made"] = line["free_throws_attempted"] + extra
    with pytest.raises(InvalidBoxScore) as error:
        parse_box_score(payload, payload["data"]["game"]["id"])
    assert "exceeds free_throws_attempted" in error.value.record.reason
    assert error.value.record.game_id == payload["data"]["game"]["id"]


@relaxed
@given(box_scores(), st.sampled_from([1.0, True, "1", None, -1, 2**40]), st.data())
def test_counts_are_integers_in_range_never_coerced(payload: dict[str, Any], bad: Any, data) -> None:
    players = payload["data"]["players"]
    assume(players)
    line = data.draw(st.sampled_from(players))
    field = data.draw(st.sampled_from(["free_throws_attempted", "free_throws_made"]))
    line[field] = bad
    with pytest.raises(InvalidBoxScore) as error:
        parse_box_score(payload, payload["data"]["game"]["id"])
    assert field in error.value.record.reason


@relaxed
@given(box_scores(), st.integers(1, MAX_ID))
def test_a_box_score_of_another_game_is_rejected(payload: dict[str, Any], asked: int) -> None:
    assume(asked != payload["data"]["game"]["id"])
    with pytest.raises(InvalidBoxScore, match="unknown game"):
        parse_box_score(payload, asked)


@relaxed
@given(json_values, st.integers(1, 100))
def test_any_json_is_a_box_score_or_a_typed_error(payload: Any, game_id: int) -> None:
    try:
        box = parse_box_score(payload, game_id)
    except (InvalidBoxScore, GameNotFinal):
        return
    assert box.game.id == game_id


@relaxed
@given(json_values, st.sampled_from([Game, Season]))
def test_any_json_is_a_page_or_malformed(payload: Any, model: type) -> None:
    try:
        items, _ = parse_page(payload, model, "http://provider/v1/x")
    except MalformedResponse:
        return
    assert all(isinstance(item, model) for item in items)


@relaxed
@given(st.lists(games(), max_size=6), st.one_of(st.none(), st.integers(0, 10**6), st.text(max_size=10)))
def test_valid_pages_round_trip(items: list[dict[str, Any]], cursor: Any) -> None:
    parsed_items, next_cursor = parse_page({"data": items, "meta": {"next_cursor": cursor, "per_page": 25}}, Game, "u")
    assert [game.model_dump() for game in parsed_items] == [parsed(item) for item in items]
    assert next_cursor == cursor


@relaxed
@given(st.lists(games(), min_size=1, max_size=6), st.data())
def test_a_page_with_one_broken_item_is_rejected_whole(items: list[dict[str, Any]], data) -> None:
    index = data.draw(st.integers(0, len(items) - 1))
    field = data.draw(st.sampled_from(sorted(items[index])))
    assume(field not in ("home_team_score", "visitor_team_score", "all_star", "updated_at"))  # optional fields
    del items[index][field]
    with pytest.raises(MalformedResponse, match=rf"data\.{index}: {field}"):
        parse_page({"data": items, "meta": {"next_cursor": None, "per_page": 25}}, Game, "u")


def request_with(query: dict[str, str]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": urlencode(query).encode()})


@relaxed
@given(st.text(max_size=12), st.integers(0, 50), st.integers(0, 50))
@example("²", 0, 5)
@example(" 3", 0, 5)
@example("-0", 0, 5)
def test_integer_query_parameters_are_exact_or_refused(raw: str, low: int, span: int) -> None:
    high = low + span
    try:
        value = _int_arg(request_with({"n": raw}), "n", None, low, high)
    except BadRequest as error:
        assert error.status == 400 and "n must be" in str(error)
        return
    if raw == "":
        assert value is None
    else:
        assert value == int(raw) and low <= value <= high and re.fullmatch(r"-?[0-9]+", raw)


STRUCTURE_COLUMNS = ["game_id", "season", "playoffs", "game", "end_result"]


@pytest.fixture(scope="module")
def small_file_rows():
    from shot_platform_tests.scores_api_support import free_throw_rows

    return free_throw_rows(seasons=(2010, 2011), regular=4, playoffs=1)


@relaxed
@given(st.sampled_from(STRUCTURE_COLUMNS), st.text(max_size=12), st.data())
def test_the_loader_serves_every_row_or_names_what_it_cannot_place(small_file_rows, column: str, value: str, data):
    from shot_platform.free_throws.scores_api.dataset import DatasetError, index_frame

    frame = small_file_rows.copy()
    row = data.draw(st.integers(0, len(frame) - 1))
    frame.iat[row, frame.columns.get_loc(column)] = value
    try:
        dataset = index_frame(frame, "file.csv")
    except DatasetError as error:
        message = str(error)
        assert f"line {row + 2}:" in message or "values of" in message, message
        return
    served = [play for sequence in range(dataset.total) for play in dataset.play_rows(sequence)]
    assert len(served) == len(frame)  # nothing lost
    assert sorted(map(str, served)) == sorted(map(str, frame.to_dict("records")))  # values exactly as written
    assert sum(line["free_throws_attempted"] for lines in dataset.box_players for line in lines) == len(frame)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("2026-01-02T03:04:05", "a time without a zone"), ("yesterday", "not an ISO 8601 time"), (5, "datetime")],
)
def test_updated_at_must_be_an_iso_time_with_a_zone(value: Any, reason: str) -> None:
    game = {"id": 1, "season": 2012, "postseason": False, "status": "final", "home_team": "A", "visitor_team": "B",
            "home_team_score": 1, "visitor_team_score": 2, "updated_at": value}  # fmt: skip
    with pytest.raises(MalformedResponse, match=reason):
        parse_page({"data": [game], "meta": {"next_cursor": None, "per_page": 25}}, Game, "u")
    offset = Game.model_validate(game | {"updated_at": "2026-01-02T05:04:05+02:00"}).updated_at
    assert offset == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC) and offset.tzinfo == dt.UTC
