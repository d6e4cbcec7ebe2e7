"""A Scores API provider on loopback that misbehaves on purpose, at the HTTP level as well as in its data.

``HostileProvider`` serves one season's schedule, its final-games listing (cursor pages, ``after``,
``updated_since``) and box scores, like the real API; ``faults`` are (match, act, times) rules tried
first on every request: ``act`` writes whatever it wants to the socket (a body cut short, a drip,
an endless body, 429s), and a rule with ``times`` runs that many times, then the provider recovers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SEASON = 2012
Query = dict[str, str]
Act = Callable[[BaseHTTPRequestHandler], None]


def game(game_id: int, status: str = "final", updated_at: str | None = "2013-01-01T00:00:00+00:00") -> dict[str, Any]:
    final = status == "final"
    return {"id": game_id, "season": SEASON, "postseason": False, "status": status, "home_team": "BOS",
            "visitor_team": "NY", "home_team_score": 100 if final else None,
            "visitor_team_score": 90 if final else None, "updated_at": updated_at if final else None}  # fmt: skip


def play(game_id: int, player: str, made: int) -> dict[str, str]:
    return {"end_result": "90 - 100", "game": "NY - BOS", "game_id": str(game_id), "period": "1",
            "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2", "player": player,
            "playoffs": "regular", "score": "0 - 1", "season": "2012 - 2013", "shot_made": str(made),
            "time": "11:00"}  # fmt: skip


def box(listed: dict[str, Any], shots: dict[str, list[int]]) -> dict[str, Any]:
    """A consistent box score: ``shots`` = {player: [1, 0, ...]} (made or missed, in order)."""
    plays = [play(listed["id"], player, made) for player, results in shots.items() for made in results]
    lines = [{"player": p, "free_throws_attempted": len(r), "free_throws_made": sum(r)} for p, r in shots.items()]
    return {"data": {"game": listed, "players": lines, "plays": plays}}


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes | str | Any, headers: dict[str, str] | None = None,
         *, length: bool = True) -> None:  # fmt: skip
    """A whole answer; ``length=False``: no Content-Length (the body ends when the connection does)."""
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    payload = body.encode() if isinstance(body, str) else body
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    if length:
        handler.send_header("Content-Length", str(len(payload)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(payload)


def cut_short(body: Any) -> Act:
    """200 with the full Content-Length, half the body, then the connection closes (IncompleteRead)."""

    def act(handler: BaseHTTPRequestHandler) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload[: len(payload) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return act


def drip(every: float, body: bytes = b'{"data": []' + b" " * 10_000 + b"}") -> Act:
    """Headers at once, then one byte every ``every`` seconds (each read is quick: no read time-out)."""

    def act(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for index in range(len(body)):
            handler.wfile.write(body[index : index + 1])
            handler.wfile.flush()
            time.sleep(every)

    return act


def drip_headers(every: float) -> Act:
    """The status line and headers themselves, a byte every ``every`` seconds, without end."""

    def act(handler: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60_000
        for index in range(len(head)):
            handler.wfile.write(head[index : index + 1])
            handler.wfile.flush()
            time.sleep(every)

    return act


@dataclass
class Endless:
    """A body that never ends (no Content-Length), up to ``most`` bytes; ``sent`` counts what went out."""

    prefix: bytes = b'{"data": {"plays": ['
    chunk: bytes = b'"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ' * 1000
    most: int = 256 * 2**20
    sent: int = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(self.prefix)
        while self.sent < self.most:
            handler.wfile.write(self.chunk)
            self.sent += len(self.chunk)


def status(code: int, headers: dict[str, str] | None = None) -> Act:
    return lambda handler: send(handler, code, {"error": f"status {code} on purpose"}, headers)


@dataclass
class Fault:
    match: Callable[[str, Query], bool]
    act: Act
    times: int | None = None  # None: forever
    hits: int = 0


def on_box(game_id: int | None = None) -> Callable[[str, Query], bool]:
    def match(path: str, query: Query) -> bool:
        return path.endswith("/free_throws") and game_id in (None, int(path.split("/")[3]))

    return match


def on_final_listing(path: str, query: Query) -> bool:
    return path == "/v1/games" and query.get("status") == "final"


def on_schedule(path: str, query: Query) -> bool:
    return path == "/v1/games" and "status" not in query


def on_any(path: str, query: Query) -> bool:
    return True


@dataclass
class HostileProvider:
    """One season of games, served like the Scores API, with faults on top."""

    schedule: list[dict[str, Any]]
    boxes: dict[int, dict[str, Any]]
    listed_patch: dict[int, dict[str, Any]] = field(default_factory=dict)  # in the final listing only
    faults: list[Fault] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def fault(self, match: Callable[[str, Query], bool], act: Act, times: int | None = None) -> Fault:
        rule = Fault(match, act, times)
        self.faults.append(rule)
        return rule

    def recover(self) -> None:
        self.faults.clear()
        self.listed_patch.clear()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(handler.path)
        self.requests.append(handler.path)
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        for rule in self.faults:
            if (rule.times is None or rule.hits < rule.times) and rule.match(parsed.path, query):
                rule.hits += 1
                rule.act(handler)
                return
        send(handler, *self.answer(parsed.path, query))

    def answer(self, path: str, query: Query) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if path == "/v1/games":
            return 200, self.page(query)
        if len(parts) == 3 and parts[:2] == ["v1", "games"]:
            found = [g for g in self.schedule if str(g["id"]) == parts[2]]
            return (200, {"data": found[0]}) if found else (404, {"error": "no such game", "code": "unknown_game"})
        if len(parts) == 4 and parts[3] == "free_throws" and int(parts[2]) in self.boxes:
            return 200, self.boxes[int(parts[2])]
        return 404, {"error": "no such thing", "code": "unknown_game"}

    def page(self, query: Query) -> dict[str, Any]:
        games = [(g, g) for g in self.schedule]  # (as scheduled, as listed): filtered on the id scheduled
        if query.get("status") == "final":
            games = [(g, g | self.listed_patch.get(g["id"], {})) for g, _ in games if g["status"] == "final"]
        if "after" in query:
            games = [(g, listed) for g, listed in games if g["id"] > int(query["after"])]
        if "updated_since" in query:
            since = dt.datetime.fromisoformat(query["updated_since"])
            games = [(g, listed) for g, listed in games if _stamp(listed) is None or _stamp(listed) >= since]
        per_page, start = int(query.get("per_page", 100)), int(query.get("cursor", 0))
        rest = games[start + per_page :]
        return {"data": [listed for _, listed in games[start : start + per_page]],
                "meta": {"next_cursor": start + per_page if rest else None, "per_page": per_page}}  # fmt: skip


def _stamp(listed: dict[str, Any]) -> dt.datetime | None:
    """A listed game's updated_at for the provider's own filter (an unreadable one always matches)."""
    try:
        return dt.datetime.fromisoformat(listed["updated_at"]).astimezone(dt.UTC)
    except (TypeError, ValueError, OverflowError, KeyError):
        return None


@contextlib.contextmanager
def serving(provider: HostileProvider) -> Iterator[str]:
    """The provider on a free loopback port; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: fine
                provider.handle(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
