"""Support for the Scores API tests: a small free-throw file in the Kaggle schema, what the API should
answer about it (computed independently with pandas), and a scriptable bad provider on loopback."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd

from shot_platform.free_throws.scores_api.payloads import PLAY_COLUMNS

TEAMS = ["BOS", "LAL", "MIA", "SA", "GS", "NY", "UTAH", "PHX"]


def free_throw_rows(seasons: tuple[int, ...] = (2010, 2011), regular: int = 18, playoffs: int = 3, seed: int = 3):
    """Rows in the Kaggle schema: per season ``regular`` + ``playoffs`` games, 2-6 shooters a game, and
    in the first season an All-Star game stored as a regular-season game ("EAST - WEST"), as in the file.

    Ids follow ESPN's pattern (unique across seasons); the file lists seasons newest first and games
    shuffled, so the server must sort them itself; rows keep their order within a game.
    """
    rng = random.Random(seed)
    games = []
    for year in seasons:
        for number in range(regular + playoffs):
            game_id = (year - 1999) * 10**7 + 1000 + number * 7
            games.append((year, game_id, number >= regular, False))
    games.append((seasons[0], (seasons[0] - 1999) * 10**7 + 1000 + 3, False, True))  # All-Star, after game 0
    games.sort(key=lambda game: (-game[0], rng.random()))
    rows = []
    for year, game_id, postseason, all_star in games:
        visitor, home = ("EAST", "WEST") if all_star else rng.sample(TEAMS, 2)
        visitor_points, home_points = rng.randint(80, 120), rng.randint(80, 120)
        shooters = [f"{team} Player {k}" for team in (visitor, home) for k in range(1, 4)]
        for _ in range(rng.randint(6, 24)):
            player = rng.choice(shooters[: rng.randint(2, 6)])
            made = rng.random() < 0.75
            rows.append(
                {
                    "end_result": f"{visitor_points} - {home_points}",
                    "game": f"{visitor} - {home}",
                    "game_id": str(game_id),
                    "period": str(rng.randint(1, 4)),
                    "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2",
                    "player": player,
                    "playoffs": "playoffs" if postseason else "regular",
                    "score": f"{rng.randint(0, 99)} - {rng.randint(0, 99)}",
                    "season": f"{year} - {year + 1}",
                    "shot_made": "1" if made else "0",
                    "time": f"{rng.randint(0, 11)}:{rng.randint(0, 59):02d}",
                }
            )
    return pd.DataFrame(rows, columns=list(PLAY_COLUMNS))


def write_free_throws(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def expected_games(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per game in release order (season, then game id), as the API should list them."""
    games = frame.groupby("game_id", sort=False).first().reset_index()
    games["id"] = games.game_id.astype("int64")
    games["season_year"] = games.season.str.slice(0, 4).astype(int)
    return games.sort_values(["season_year", "id"]).reset_index(drop=True)


def expected_box_scores(frame: pd.DataFrame) -> dict[int, dict[str, tuple[int, int]]]:
    """{game id: {player: (attempted, made)}}."""
    counts = frame.assign(made=frame.shot_made == "1").groupby(["game_id", "player"]).made.agg(["size", "sum"])
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for (game_id, player), attempted, made in zip(counts.index, counts["size"], counts["sum"], strict=True):
        out.setdefault(int(game_id), {})[player] = (int(attempted), int(made))
    return out


Answer = tuple[int, str | bytes, dict[str, str]]


@dataclass
class ScriptedProvider:
    """What the fake provider answers: a function of (path, query) -> (status, body, headers)."""

    respond: Callable[[str, dict[str, str]], Answer]
    requests: list[str] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)


@contextlib.contextmanager
def scripted_provider(respond: Callable[[str, dict[str, str]], Answer]) -> Iterator[tuple[str, ScriptedProvider]]:
    """A tiny HTTP server on loopback answering whatever ``respond`` says (bad pages on purpose)."""
    script = ScriptedProvider(respond)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            script.requests.append(self.path)
            script.authorization.append(self.headers.get("Authorization"))
            query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
            status, body, headers = script.respond(parsed.path, query)
            if not isinstance(body, bytes | str):
                body = json.dumps(body)
            payload = body.encode() if isinstance(body, str) else body
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
