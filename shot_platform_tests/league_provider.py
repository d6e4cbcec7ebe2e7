"""A small scripted league for the sync durability tests: games of a few seasons, their plays, and
what the provider answers about them (the Scores API's paths), changeable while it runs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shot_platform_tests.scores_api_support import Answer, ScriptedProvider, scripted_provider


def play(game_id: int, season: int, player: str, made: int, second: int = 0) -> dict[str, str]:
    """One free throw; ``second`` tells apart the plays of a game (the same play twice is one play)."""
    return {"end_result": "90 - 100", "game": "NY - BOS", "game_id": str(game_id), "period": "1",
            "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2", "player": player,
            "playoffs": "regular", "season": f"{season} - {season + 1}", "shot_made": str(made),
            "time": f"11:{second % 60:02d}", "score": f"{second // 60} - 1"}  # fmt: skip


def box(game: dict[str, Any], plays: list[dict[str, str]], lines: list[dict[str, Any]] | None = None) -> dict:
    if lines is None:
        players = sorted({p["player"] for p in plays})
        lines = [
            {"player": name, "free_throws_attempted": sum(p["player"] == name for p in plays),
             "free_throws_made": sum(p["player"] == name and p["shot_made"] == "1" for p in plays)}
            for name in players
        ]  # fmt: skip
    return {"data": {"game": game, "players": lines, "plays": plays}}


@dataclass
class League:
    """Games (id -> game JSON), box-score bodies (id -> JSON or raw bytes), and the schedule the
    provider lists (all games unless ``unscheduled`` drops some); ``before_box`` runs on every
    box-score request (to block, or to cut something, mid-sync)."""

    games: dict[int, dict[str, Any]] = field(default_factory=dict)
    boxes: dict[int, Any] = field(default_factory=dict)
    unscheduled: set[int] = field(default_factory=set)
    before_box: Callable[[int], None] = lambda game_id: None

    def add(self, game_id: int, season: int, plays: list[tuple[str, int]], status: str = "final") -> None:
        game = {"id": game_id, "season": season, "postseason": False, "status": status, "home_team": "BOS",
                "visitor_team": "NY", "home_team_score": 100 if status == "final" else None,
                "visitor_team_score": 90 if status == "final" else None}  # fmt: skip
        self.games[game_id] = game
        self.boxes[game_id] = box(
            game, [play(game_id, season, player, made, k) for k, (player, made) in enumerate(plays)]
        )

    def finalise(self, game_id: int) -> None:
        self.games[game_id] |= {"status": "final", "home_team_score": 100, "visitor_team_score": 90}
        self.boxes[game_id]["data"]["game"] = self.games[game_id]

    def respond(self, path: str, query: dict[str, str]) -> Answer:
        listed = [g for i, g in sorted(self.games.items()) if i not in self.unscheduled]
        if "season" in query:
            listed = [g for g in listed if g["season"] == int(query["season"])]
        if path == "/v1/games":
            if query.get("status") == "final":
                after = int(query.get("after", 0))
                listed = [g for g in listed if g["status"] == "final" and g["id"] > after]
            listed.sort(key=lambda g: (g["season"], g["id"]))
            return 200, {"data": listed, "meta": {"next_cursor": None, "per_page": 100}}, {}
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v1", "games"] and parts[2].isdigit():
            game_id = int(parts[2])
            if game_id not in self.games or game_id in self.unscheduled:
                return 404, {"error": "no such game", "code": "unknown_game"}, {}
            if len(parts) == 4 and parts[3] == "free_throws":
                self.before_box(game_id)
                return 200, self.boxes[game_id], {}
            return 200, {"data": self.games[game_id]}, {}
        return 404, {"error": "no such thing", "code": "not_found"}, {}


@contextlib.contextmanager
def serving(league: League) -> Iterator[tuple[str, ScriptedProvider]]:
    with scripted_provider(league.respond) as (url, script):
        yield url, script
