"""The replay server: a free-throw file served as a Scores API, releasing game results over time.

Endpoints (JSON; list endpoints answer ``{"data": [...], "meta": {"next_cursor": C, "per_page": N}}``,
``next_cursor`` null on the last page; pass it back as ``?cursor=C``; ``per_page`` 1..100, default 25):

- ``GET /v1/seasons``: each season's start year, name and schedule size (regular season and playoffs,
  and the All-Star game apart), and how many of those games are final.
- ``GET /v1/games``: the schedule, season by season, by game id within a season. Filters:
  ``season`` (start year), ``status`` (``scheduled``/``final``), ``postseason`` (``true``: playoffs;
  ``false``: the rest), ``after`` (a game id: only games after it in that order, i.e. "what is new
  since my last game"), ``updated_since`` (an ISO 8601 time: only final games whose ``updated_at``
  is that time or later, i.e. "what changed since I last looked", corrections included).
  A final game's ``updated_at`` is when its result was published or last corrected (UTC,
  microseconds; no two games or corrections share one: a batch released at once gets consecutive
  microseconds in release order); null while scheduled.
- ``GET /v1/games/{id}``: one game.
- ``GET /v1/games/{id}/free_throws``: a final game's box score, ``{"data": {"game": ..., "players":
  [{"player", "free_throws_attempted", "free_throws_made"}], "plays": [Kaggle rows as text]}}``;
  404 with ``"code": "not_final"`` before its result is released, ``"unknown_game"`` for an unknown id.
- ``POST /replay/advance?games=N``: release the next N results; answers the games that became final.
- ``POST /replay/correct?game_id=N[&player=NAME]``: the provider corrects a final game's result (the
  first free throw of ``player``, default the game's first shooter, flips between made and missed,
  in the plays and the box score) and stamps the game's ``updated_at``; answers the corrected game.
  A second correction of the same player flips it back (the result as first published, with a new
  ``updated_at``).
- ``GET /replay/status``: released count, last final game, request and injected-fault counters.
- ``GET /livez``: 200 when up.

With an API key, ``/v1`` and ``/replay`` need it in the ``Authorization`` header (the bare key, as
balldontlie takes it, or ``Bearer KEY``); 401 otherwise. Errors are ``{"error": "...", "code": "..."}``.
Fault injection applies to ``/v1`` only, so a test can always steer the replay.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shot_platform.free_throws.scores_api.dataset import ReplayDataset
from shot_platform.free_throws.scores_api.faults import ErrorInjector, TokenBucket
from shot_platform.free_throws.scores_api.payloads import MAX_ID, MAX_PER_PAGE

DEFAULT_PER_PAGE = 25


@dataclass(frozen=True)
class ReplayConfig:
    release: int = 0  # results final at start-up
    games_per_second: float | None = None
    error_rate: float = 0.0
    rate_limit: float | None = None
    api_key: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class Correction:
    """A final game's result as corrected by the provider after it was published."""

    stamp: int  # updated_at, microseconds since the epoch
    players: list[dict[str, Any]]
    plays: list[dict[str, str]]


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def iso_time(microseconds: int) -> str:
    return (EPOCH + dt.timedelta(microseconds=microseconds)).isoformat(timespec="microseconds")


def _time_arg(request: Request, name: str) -> int | None:
    """An ISO 8601 time with a zone (``Z`` or an offset) as microseconds since the epoch."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 time, got {raw!r}") from None
    if value.tzinfo is None:
        raise BadRequest(f"{name} must carry a time zone (e.g. 2026-01-02T03:04:05Z), got {raw!r}")
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


class ReplayState:
    """How many games (a prefix of release order) are final, and the fault counters.

    With ``--games-per-second`` the timer's share is computed from the clock on each request
    (released = start-up release + advances + elapsed * rate), so no background task is needed.
    """

    def __init__(self, dataset: ReplayDataset, config: ReplayConfig, clock=time.monotonic) -> None:
        if not 0 <= config.release <= dataset.total:
            raise ValueError(f"release must be 0..{dataset.total}, got {config.release}")
        self.dataset = dataset
        self.config = config
        self._clock = clock
        self._base = config.release
        self._started = clock()
        self.errors = ErrorInjector(config.error_rate, config.seed)
        self.bucket = TokenBucket(config.rate_limit, clock) if config.rate_limit else None
        self.counters = {"requests": 0, "injected_errors": 0, "rate_limited": 0, "unauthorized": 0, "corrections": 0}
        # updated_at of each released result, in microseconds since the epoch: stamped when the server
        # first counts the game as released (every request asks ``released()`` first, so no client
        # can see a result before its stamp). Releases go in sequence order, so stamps increase.
        self.stamps = np.zeros(dataset.total, dtype=np.int64)
        self._stamped = 0
        self._last_stamp = 0
        self.corrections: dict[int, Correction] = {}  # sequence -> the game's corrected result

    def stamp(self, count: int = 1) -> int:
        """Now, in microseconds, later than every earlier stamp; ``count`` consecutive stamps are
        taken and the first returned (changes never share a time, so a client's ``updated_since``
        watermark lists again only the change it ended on, even after ``--release all``)."""
        first = max(time.time_ns() // 1000, self._last_stamp + 1)
        self._last_stamp = first + count - 1
        return first

    def released(self) -> int:
        timed = 0
        if self.config.games_per_second:
            timed = math.floor((self._clock() - self._started) * self.config.games_per_second)
        released = min(self.dataset.total, self._base + timed)
        if released > self._stamped:
            count = released - self._stamped
            self.stamps[self._stamped : released] = self.stamp(count) + np.arange(count)
            self._stamped = released
        return released

    def updated_at(self, sequence: int) -> int:
        correction = self.corrections.get(sequence)
        return correction.stamp if correction is not None else int(self.stamps[sequence])

    def updated_since(self, since: int, released: int) -> np.ndarray:
        """Whether each game is final with updated_at >= ``since`` (microseconds)."""
        changed = np.zeros(self.dataset.total, dtype=bool)
        changed[:released] = self.stamps[:released] >= since
        for sequence, correction in self.corrections.items():
            changed[sequence] = sequence < released and correction.stamp >= since
        return changed

    def correct(self, sequence: int, player: str | None) -> None:
        """Flip the first free throw of ``player`` (default: the first play's shooter) in the game."""
        current = self.corrections.get(sequence)
        plays = current.plays if current else self.dataset.play_rows(sequence)
        if not plays:
            raise BadRequest(f"game {int(self.dataset.game_ids[sequence])} has no free throws to correct", 409)
        shooter = player if player is not None else plays[0]["player"]
        index = next((i for i, play in enumerate(plays) if play["player"] == shooter), None)
        if index is None:
            raise BadRequest(f"{shooter!r} took no free throw in game {int(self.dataset.game_ids[sequence])}", 404)
        made = plays[index]["shot_made"] != "1"
        verb = ("misses", "makes") if made else ("makes", "misses")
        flipped = plays[index] | {"shot_made": "1" if made else "0", "play": plays[index]["play"].replace(*verb, 1)}
        plays = [*plays[:index], flipped, *plays[index + 1 :]]
        lines = current.players if current else self.dataset.box_players[sequence]
        players = [
            line | {"free_throws_made": line["free_throws_made"] + (1 if made else -1)}
            if line["player"] == shooter
            else line
            for line in lines
        ]
        self.corrections[sequence] = Correction(self.stamp(), players, plays)
        self.counters["corrections"] += 1

    def advance(self, games: int) -> tuple[int, int]:
        """Release ``games`` more; returns the released range [before, after)."""
        before = self.released()
        self._base += min(games, self.dataset.total - before)
        return before, self.released()

    def authorized(self, request: Request) -> bool:
        key = self.config.api_key
        if not key:
            return True
        sent = request.headers.get("authorization", "").strip()
        sent = sent.removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), key.encode())

    def admit(self, request: Request, faults: bool) -> Response | None:
        """None when the request may proceed; otherwise the 401, 429 or injected 500 to answer."""
        self.counters["requests"] += 1
        if not self.authorized(request):
            self.counters["unauthorized"] += 1
            return error(
                401,
                "missing or wrong API key: send it in the Authorization header",
                "unauthorized",
                {"WWW-Authenticate": "Bearer"},
            )
        if not faults:
            return None
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait:
                self.counters["rate_limited"] += 1
                return error(
                    429,
                    f"rate limit of {self.config.rate_limit} requests/s exceeded",
                    "rate_limited",
                    {"Retry-After": str(wait)},
                )
        if self.errors.fail_now():
            self.counters["injected_errors"] += 1
            return error(500, "injected fault (--error-rate)", "injected_error")
        return None


def _int_arg(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,20}", raw):  # ASCII digits only: str.isdigit() accepts "²"
        raise BadRequest(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be in {low}..{high}, got {value}")
    return value


def _choice_arg(request: Request, name: str, choices: dict[str, Any]) -> Any:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return choices[raw]


Handler = Callable[[Request], Awaitable[Response]]


def create_app(dataset: ReplayDataset, config: ReplayConfig) -> Starlette:
    """The ASGI app serving ``dataset`` under ``config``."""
    state = ReplayState(dataset, config)
    everything = np.arange(dataset.total)
    regular_all = np.flatnonzero(~dataset.postseason)
    postseason_all = np.flatnonzero(dataset.postseason)

    def guarded(handler: Handler, faults: bool) -> Handler:
        async def endpoint(request: Request) -> Response:
            denied = state.admit(request, faults)
            if denied is not None:
                return denied
            try:
                return await handler(request)
            except BadRequest as problem:
                return error(problem.status, str(problem), problem.code)

        return endpoint

    def game_json(sequence: int, released: int) -> dict[str, Any]:
        if sequence >= released:
            return dataset.scheduled[sequence] | {"updated_at": None}
        return dataset.final[sequence] | {"updated_at": iso_time(state.updated_at(sequence))}

    def sequence_or_404(game_id: int) -> int:
        sequence = dataset.sequence_of.get(game_id)
        if sequence is None:
            raise BadRequest(f"no game {game_id} in the schedule", 404, "unknown_game")
        return sequence

    async def livez(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def seasons(request: Request) -> Response:
        per_page = _int_arg(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        cursor = _int_arg(request, "cursor", None, 0, 9999)
        released = state.released()
        chosen = [season for season in dataset.seasons if cursor is None or season.season > cursor]
        page = chosen[:per_page]
        data = []
        for season in page:
            regular_final = int(np.searchsorted(season.regular, released))
            post_final = int(np.searchsorted(season.postseason, released))
            all_star_final = int(np.searchsorted(season.all_star, released))
            data.append(
                {
                    "season": season.season,
                    "name": season.name,
                    "regular_season_games": len(season.regular),
                    "postseason_games": len(season.postseason),
                    "final_regular_season_games": regular_final,
                    "final_postseason_games": post_final,
                    "all_star_games": len(season.all_star),
                    "final_all_star_games": all_star_final,
                }
            )
        next_cursor = page[-1].season if len(chosen) > per_page else None
        return JSONResponse({"data": data, "meta": {"next_cursor": next_cursor, "per_page": per_page}})

    async def games(request: Request) -> Response:
        per_page = _int_arg(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        cursor = _int_arg(request, "cursor", None, 0, dataset.total)
        year = _int_arg(request, "season", None, 0, 9999)
        after = _int_arg(request, "after", None, 0, MAX_ID)
        status = _choice_arg(request, "status", {"scheduled": "scheduled", "final": "final"})
        postseason = _choice_arg(request, "postseason", {"true": True, "false": False})
        updated_since = _time_arg(request, "updated_since")
        if year is not None:
            season = dataset.season(year)
            if season is None:
                known = ", ".join(str(item.season) for item in dataset.seasons)
                raise BadRequest(f"no season {year}; seasons: {known}", 404, "unknown_season")
            members = everything[season.first : season.end]
            scope = (members, members[~dataset.postseason[members]], season.postseason)
        else:
            scope = (everything, regular_all, postseason_all)
        candidates = scope[0] if postseason is None else scope[2] if postseason else scope[1]
        released = state.released()
        if updated_since is not None:
            candidates = candidates[state.updated_since(updated_since, released)[candidates]]
        low, high = 0, dataset.total
        if cursor is not None:
            low = max(low, cursor + 1)
        if after is not None:
            low = max(low, sequence_or_404(after) + 1)
        if status == "final":
            high = min(high, released)
        elif status == "scheduled":
            low = max(low, released)
        first, end = np.searchsorted(candidates, [low, high])
        page = candidates[first : min(end, first + per_page)].tolist()
        next_cursor = page[-1] if first + per_page < end else None
        data = [game_json(sequence, released) for sequence in page]
        return JSONResponse({"data": data, "meta": {"next_cursor": next_cursor, "per_page": per_page}})

    async def game(request: Request) -> Response:
        sequence = sequence_or_404(request.path_params["game_id"])
        return JSONResponse({"data": game_json(sequence, state.released())})

    async def free_throws(request: Request) -> Response:
        game_id = request.path_params["game_id"]
        sequence = sequence_or_404(game_id)
        if sequence >= state.released():
            raise BadRequest(
                f"game {game_id} is scheduled: its box score appears once the game is final", 404, "not_final"
            )
        correction = state.corrections.get(sequence)
        body = {
            "game": game_json(sequence, state.released()),
            "players": correction.players if correction else dataset.box_players[sequence],
            "plays": correction.plays if correction else dataset.play_rows(sequence),
        }
        return JSONResponse({"data": body})

    async def correct(request: Request) -> Response:
        game_id = _int_arg(request, "game_id", None, 0, MAX_ID)
        if game_id is None:
            raise BadRequest("game_id is required")
        sequence = sequence_or_404(game_id)
        if sequence >= state.released():
            raise BadRequest(f"game {game_id} is scheduled: only a final result can be corrected", 409, "not_final")
        state.correct(sequence, request.query_params.get("player") or None)
        return JSONResponse({"data": game_json(sequence, state.released())})

    async def advance(request: Request) -> Response:
        count = _int_arg(request, "games", 1, 1, 10**9)
        before, after = state.advance(count)
        return JSONResponse(
            {
                "data": {
                    "final_games": after,
                    "total_games": dataset.total,
                    "released": [game_json(sequence, after) for sequence in range(before, after)],
                }
            }
        )

    async def status(request: Request) -> Response:
        released = state.released()
        last = int(dataset.game_ids[released - 1]) if released else None
        return JSONResponse(
            {
                "data": {
                    "source": dataset.source,
                    "final_games": released,
                    "total_games": dataset.total,
                    "last_final_game": last,
                    **state.counters,
                }
            }
        )

    async def http_error(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, HTTPException)
        return error(problem.status_code, f"{request.method} {request.url.path}: {problem.detail}", "http_error")

    routes = [
        Route("/livez", livez),
        Route("/v1/seasons", guarded(seasons, faults=True)),
        Route("/v1/games", guarded(games, faults=True)),
        Route("/v1/games/{game_id:int}", guarded(game, faults=True)),
        Route("/v1/games/{game_id:int}/free_throws", guarded(free_throws, faults=True)),
        Route("/replay/advance", guarded(advance, faults=False), methods=["POST"]),
        Route("/replay/correct", guarded(correct, faults=False), methods=["POST"]),
        Route("/replay/status", guarded(status, faults=False)),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.replay = state
    return app
