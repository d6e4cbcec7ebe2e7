"""Bad games from a provider (a scripted one on loopback): a box score that breaks a rule and a final
game the schedule does not know are quarantined with their reason, the flow goes on, no count is
touched; a game that is not final yet holds the later ones back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.scores_api_support import scripted_provider

SEASON = 2012


def _game(game_id: int, status: str = "final") -> dict[str, Any]:
    return {"id": game_id, "season": SEASON, "postseason": False, "status": status, "home_team": "BOS",
            "visitor_team": "NY", "home_team_score": 100 if status == "final" else None,
            "visitor_team_score": 90 if status == "final" else None}  # fmt: skip


def _play(game_id: int, player: str, made: int) -> dict[str, str]:
    return {"end_result": "90 - 100", "game": "NY - BOS", "game_id": str(game_id), "period": "1",
            "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2", "player": player,
            "playoffs": "regular", "score": "0 - 1", "season": "2012 - 2013", "shot_made": str(made),
            "time": "11:00"}  # fmt: skip


def _box(game_id: int, plays: list[dict[str, str]], lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if lines is None:
        players = sorted({p["player"] for p in plays})
        lines = [
            {"player": name, "free_throws_attempted": sum(p["player"] == name for p in plays),
             "free_throws_made": sum(p["player"] == name and p["shot_made"] == "1" for p in plays)}
            for name in players
        ]  # fmt: skip
    return {"data": {"game": _game(game_id), "players": lines, "plays": plays}}


def test_bad_box_score_and_unknown_game_are_quarantined_and_the_flow_goes_on(tmp_path: Path) -> None:
    schedule = [_game(101), _game(102), _game(103), _game(105, "scheduled")]
    listed_final = [_game(101), _game(102), _game(103), _game(104)]  # 104: not in the schedule
    boxes = {
        101: _box(101, [_play(101, "A Smith", 1), _play(101, "A Smith", 0)]),
        # made more than attempted: the whole game is refused
        102: _box(
            102, [_play(102, "B Jones", 1)], [{"player": "B Jones", "free_throws_attempted": 1, "free_throws_made": 2}]
        ),
        103: _box(103, [_play(103, "A Smith", 1)]),
    }

    def respond(path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if path == "/v1/games" and query.get("status") == "final":
            after = int(query["after"]) if "after" in query else 0
            return 200, {"data": [g for g in listed_final if g["id"] > after][:100],
                         "meta": {"next_cursor": None, "per_page": 100}}, {}  # fmt: skip
        if path == "/v1/games":
            return 200, {"data": schedule, "meta": {"next_cursor": None, "per_page": 100}}, {}
        if path.endswith("/free_throws"):
            return 200, boxes[int(path.split("/")[3])], {}
        return 404, {"error": "no such thing", "code": "unknown_game"}, {}

    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    with scripted_provider(respond) as (url, _):
        client = ScoresApiClient(url, api_key="", backoff_factor=0.01)
        report = sync_free_throws(store, None, client, retrain=False)

    assert report.games_processed == 4 and report.quarantined == 2
    quarantine = ledger.load_game_quarantine(store).set_index("game_id")
    assert quarantine.loc[102, "kind"] == "invalid_box_score"
    assert "free_throws_made 2 exceeds free_throws_attempted 1" in quarantine.loc[102, "reason"]
    assert (
        quarantine.loc[104, "kind"] == "unknown_game" and "not in the 2012-13 schedule" in quarantine.loc[104, "reason"]
    )
    processed = store.load(ledger.processed_games).set_index("game_id")["status"]
    assert processed.to_dict() == {101: "processed", 102: "quarantined", 103: "processed", 104: "quarantined"}
    # Counts come from the good games only; the refused game counts as played, with nothing in it.
    counts = store.load(tables.free_throw_player_games)
    assert counts[["game_id", "player", "made", "attempted"]].to_dict("records") == [
        {"game_id": 101, "player": "A Smith", "made": 1, "attempted": 2},
        {"game_id": 103, "player": "A Smith", "made": 1, "attempted": 1},
    ]
    assert store.summary()["rows"] == 3  # the refused game's play is not stored

    # Run again: nothing is processed twice, nothing quarantined twice.
    with scripted_provider(respond) as (url, _):
        again = sync_free_throws(store, None, ScoresApiClient(url, api_key=""), retrain=False)
    assert again.games_processed == 0 and again.quarantined == 0
    assert len(ledger.load_game_quarantine(store)) == 2
    assert pd.Series(store.load(ledger.processed_games)["game_id"]).is_unique
