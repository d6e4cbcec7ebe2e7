"""``ScoresApiClient``: reads seasons, schedules and final games' box scores from a Scores API.

HTTP goes through requests with urllib3's ``Retry`` mounted on the session. We chose it over httpx +
tenacity because requests is already a dependency of the platform and ``Retry`` does in one place
what the API needs: exponential backoff on connection errors, read time-outs and 5xx, and on 429 it
sleeps for the server's ``Retry-After`` (``respect_retry_after_header``) instead of its own backoff.
Only GETs are retried (they are idempotent); a request that still fails raises a typed error.

Paging follows the cursor (``meta.next_cursor``) until it is null. The client checks what it is
given: each item is validated (``payloads.py``), the games of a listing must come in the API's order
(season, then id) with no repeats, and a cursor that does not advance is an error, so a broken
provider can make the caller stop and retry, never skip a game or get one twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shot_platform.free_throws.scores_api.errors import (
    GameNotFinal,
    InvalidBoxScore,
    MalformedResponse,
    ScoresApiAuthError,
    ScoresApiConfigError,
    ScoresApiError,
    ScoresApiRequestError,
    ScoresApiUnavailable,
    UnknownGame,
)
from shot_platform.free_throws.scores_api.payloads import (
    MAX_PER_PAGE,
    BoxScore,
    Game,
    Season,
    decode,
    describe,
    parse_box_score,
    parse_game,
    parse_page,
)

URL_ENV = "SHOT_PLATFORM_SCORES_API_URL"
KEY_ENV = "SHOT_PLATFORM_SCORES_API_KEY"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_policy(retries: int, backoff_factor: float, backoff_max: float, retry_after_max: int) -> Retry:
    """No wait before the first retry, then backoff_factor * 2^(n-1) s before retry n, at most
    backoff_max (0.2, 0.4, ... 6.4, 8 s by default: about 20 s before giving up); a 429 or 503 with
    Retry-After sleeps that long instead (capped at retry_after_max).

    The factor is 0.1 s, not more: against the replay server at --error-rate 0.2, 0.25 s made 1,230
    box scores take 49 s instead of 7 s (1 request in 25 fails twice in a row and waits).
    """
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        respect_retry_after_header=True,
        retry_after_max=retry_after_max,
        raise_on_status=False,  # the last response comes back, so the error can quote its body
    )


class ScoresApiClient:
    """A Scores API at ``base_url`` (default ``$SHOT_PLATFORM_SCORES_API_URL``), key optional
    (default ``$SHOT_PLATFORM_SCORES_API_KEY``), sent in the ``Authorization`` header."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.05,
        retries: int = 8,
        backoff_factor: float = 0.1,
        backoff_max: float = 8.0,
        retry_after_max: int = 60,
        per_page: int = MAX_PER_PAGE,
    ) -> None:
        base_url = base_url or os.environ.get(URL_ENV)
        if not base_url:
            raise ScoresApiConfigError(f"no Scores API URL: set {URL_ENV} (e.g. http://127.0.0.1:5100) or pass one")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.retries = retries
        self.per_page = per_page
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry_policy(retries, backoff_factor, backoff_max, retry_after_max))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "shot-platform scores-api client"})
        api_key = api_key if api_key is not None else os.environ.get(KEY_ENV)
        if api_key:
            self.session.headers["Authorization"] = api_key

    def __enter__(self) -> ScoresApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- transport ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, params: dict[str, Any] | None = None) -> tuple[str, Any]:
        """(url, decoded JSON) of a 200 answer; a typed error for anything else."""
        response = self._send(method, path, params)
        return response.url, decode(response.content, response.url)

    def _send(self, method: str, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        """A 200 response (after the retries); a typed error for anything else."""
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise ScoresApiUnavailable(
                f"cannot reach the Scores API at {self.base_url} ({type(error).__name__}: {error}); "
                f"check {URL_ENV} and that the server is up, then try again"
            ) from None
        shown = response.url
        if response.status_code == 200:
            return response
        body = _error_body(response)
        message = str(body.get("error") or response.text[:200])
        if response.status_code in (401, 403):
            raise ScoresApiAuthError(
                f"the Scores API at {self.base_url} refused the request ({response.status_code}: {message}); "
                f"set {KEY_ENV} to a valid key"
            )
        if response.status_code == 404:
            raise _NotFound(shown, body.get("code"), message)
        if response.status_code in RETRY_STATUSES:
            raise ScoresApiUnavailable(
                f"{shown} still answered {response.status_code} after {self.retries} retries ({message}); "
                "try again later"
            )
        if 400 <= response.status_code < 500:
            raise ScoresApiRequestError(f"{shown} refused the request ({response.status_code}: {message})")
        raise ScoresApiUnavailable(f"{shown} answered {response.status_code} ({message}); try again later")

    def _pages(self, path: str, item: type, params: dict[str, Any]) -> Iterator[Any]:
        cursor = None
        while True:
            query = {**params, "per_page": self.per_page}
            if cursor is not None:
                query["cursor"] = cursor
            url, payload = self._request("GET", path, query)
            items, next_cursor = parse_page(payload, item, url)
            yield from items
            if next_cursor is None:
                return
            if not items or next_cursor == cursor:
                raise MalformedResponse(url, f"next_cursor {next_cursor!r} does not advance past this page")
            cursor = next_cursor

    # -- API -----------------------------------------------------------------------------------

    def seasons(self) -> list[Season]:
        """Every season with its schedule size and how much of it is final, oldest first."""
        seasons = list(self._pages("/v1/seasons", Season, {}))
        years = [season.season for season in seasons]
        if years != sorted(set(years)):
            raise MalformedResponse(f"{self.base_url}/v1/seasons", f"seasons not in order or repeated: {years}")
        return seasons

    def games(
        self,
        *,
        season: int | None = None,
        status: str | None = None,
        postseason: bool | None = None,
        after: int | None = None,
        updated_since: dt.datetime | None = None,
    ) -> Iterator[Game]:
        """Games in the API's order (season, then id), every page, each game once.

        ``after`` is a game id: only the games after it (it must be a game the API knows).
        ``updated_since``: only final games whose ``updated_at`` is that time or later.
        """
        params: dict[str, Any] = {}
        if season is not None:
            params["season"] = season
        if status is not None:
            params["status"] = status
        if postseason is not None:
            params["postseason"] = "true" if postseason else "false"
        if after is not None:
            params["after"] = after
        if updated_since is not None:
            params["updated_since"] = updated_since.astimezone(dt.UTC).isoformat(timespec="microseconds")
        previous: tuple[int, int] | None = None
        try:
            for game in self._pages("/v1/games", Game, params):
                key = (game.season, game.id)
                if (previous is not None and key <= previous) or game.id == after:
                    raise MalformedResponse(
                        f"{self.base_url}/v1/games",
                        f"game {game.id} (season {game.season}) came after game {previous[1] if previous else after}: "
                        "the listing is not in (season, id) order or repeats a game",
                    )
                if season is not None and game.season != season:
                    raise MalformedResponse(
                        f"{self.base_url}/v1/games", f"game {game.id} of season {game.season} in season {season}"
                    )
                if updated_since is not None and (game.updated_at is None or game.updated_at < updated_since):
                    raise MalformedResponse(
                        f"{self.base_url}/v1/games",
                        f"game {game.id} was updated at {game.updated_at}, not since {updated_since}: "
                        "the provider does not filter on updated_since",
                    )
                if status is not None and game.status != status:
                    raise MalformedResponse(
                        f"{self.base_url}/v1/games", f"game {game.id} is {game.status}, not {status}"
                    )
                previous = key
                yield game
        except _NotFound as missing:
            if missing.code == "unknown_game" and after is not None:
                raise UnknownGame(after, f"the Scores API does not know game {after}: {missing.message}") from None
            raise ScoresApiRequestError(f"{missing.url}: {missing.message}") from None

    def schedule(self, season: int) -> list[Game]:
        """Every game of a season, scheduled and final, in id order."""
        return list(self.games(season=season))

    def final_games_after(self, after: int | None = None, *, season: int | None = None) -> Iterator[Game]:
        """Final games after game ``after`` (the last one processed; None: from the first)."""
        return self.games(status="final", after=after, season=season)

    def changed_final_games(self, since: dt.datetime | None) -> Iterator[Game]:
        """Final games whose result was published or corrected at ``since`` or later (None: all)."""
        return self.games(status="final", updated_since=since)

    def game(self, game_id: int) -> Game:
        try:
            url, payload = self._request("GET", f"/v1/games/{int(game_id)}")
        except _NotFound as missing:
            raise UnknownGame(game_id, f"the Scores API does not know game {game_id}: {missing.message}") from None
        game = parse_game(payload, url)
        if game.id != game_id:
            raise MalformedResponse(url, f"asked for game {game_id}, got game {game.id}")
        return game

    def box_score(self, game_id: int) -> BoxScore:
        """A final game's per-player free throws and play-by-play rows.

        Raises ``GameNotFinal`` before its result is out, ``UnknownGame`` for an id the API does
        not know, and ``InvalidBoxScore`` (with ``.record``, the quarantine record) when the answer
        breaks a rule; nothing is dropped silently.
        """
        try:
            response = self._send("GET", f"/v1/games/{int(game_id)}/free_throws")
        except _NotFound as missing:
            if missing.code == "not_final":
                raise GameNotFinal(game_id, f"game {game_id} is not final yet: {missing.message}") from None
            raise UnknownGame(game_id, f"the Scores API does not know game {game_id}: {missing.message}") from None
        try:
            payload = decode(response.content, response.url)
        except MalformedResponse as error:  # still this game's answer: quarantined with the body as received
            raise InvalidBoxScore(game_id, error.reason, response.content.decode("utf-8", "replace")) from None
        return parse_box_score(payload, game_id)


class ReplayClient(ScoresApiClient):
    """The replay server's controls on top of the API (a real provider has none)."""

    def advance(self, games: int = 1) -> list[Game]:
        """Release the next ``games`` results; returns the games that became final."""
        url, payload = self._request("POST", "/replay/advance", {"games": games})
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("released"), list):
            raise MalformedResponse(url, "no data.released list")
        try:
            return [Game.model_validate(game) for game in data["released"]]
        except ValidationError as error:
            raise MalformedResponse(url, describe(error)) from None

    def correct(self, game_id: int, player: str | None = None) -> Game:
        """Correct a final game's result (``POST /replay/correct``); returns the game, re-stamped."""
        params: dict[str, Any] = {"game_id": game_id} | ({"player": player} if player else {})
        url, payload = self._request("POST", "/replay/correct", params)
        return parse_game(payload, url)

    def status(self) -> dict[str, Any]:
        """Released count, last final game, request and injected-fault counters."""
        url, payload = self._request("GET", "/replay/status")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise MalformedResponse(url, "no data object")
        return payload["data"]


class _NotFound(ScoresApiError):
    """A 404, turned into UnknownGame / GameNotFinal by the method that knows what was asked."""

    def __init__(self, url: str, code: str | None, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.code = code
        self.message = message


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
