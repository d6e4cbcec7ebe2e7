"""``ScoresApiClient``: reads seasons, schedules and final games' box scores from a Scores API.

HTTP goes through requests; the client retries itself, because a provider's faults must be bounded
as a whole (``transport.py``): each request has an overall ``deadline`` (every attempt, read and
wait in it), retries connection errors, time-outs, bodies cut short and 429/5xx with exponential
backoff (a 429 or 503 sleeps for the server's ``Retry-After`` when it is one, at most
``retry_after_max``, never past the deadline), and reads at most ``max_body_bytes`` of a body. Only
GETs are retried (they are idempotent); a request that still fails raises a typed error saying how
many attempts in how long and what the last one got.

Paging follows the cursor (``meta.next_cursor``) until it is null, for at most ``max_pages`` pages
and ``max_listing_items`` items. The client checks what it is given: each item is validated
(``payloads.py``), the games of a listing must come in the API's order (season, then id) with no
repeats, and a cursor that does not advance is an error, so a broken provider can make the caller
stop and retry, never skip a game or get one twice. In a game listing, a bad field nothing reads
(the score) is ignored and logged; a game with a bad used field is an ``InvalidListedGame`` (the
caller quarantines it by its id); only a game without a readable id refuses the page.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3
from pydantic import ValidationError

from shot_platform.free_throws.scores_api.errors import (
    GameNotFinal,
    InvalidBoxScore,
    InvalidListedGame,
    ListingTooLong,
    MalformedResponse,
    ResponseTooLarge,
    ScoresApiAuthError,
    ScoresApiConfigError,
    ScoresApiError,
    ScoresApiRequestError,
    ScoresApiUnavailable,
    UnknownGame,
)
from shot_platform.free_throws.scores_api.payloads import (
    MAX_PER_PAGE,
    UNUSED_LISTING_FIELDS,
    BoxScore,
    Game,
    Season,
    decode,
    describe,
    parse_box_score,
    parse_game,
    parse_game_page,
    parse_page,
)
from shot_platform.free_throws.scores_api.transport import (
    BodyTooLarge,
    Deadline,
    DeadlineAdapter,
    read_body,
    retry_after,
)
from shot_platform.free_throws.settings import SCORES_API_KEY_ENV, SCORES_API_URL_ENV, FreeThrowSettings

URL_ENV = SCORES_API_URL_ENV
KEY_ENV = SCORES_API_KEY_ENV
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# What a request can fail with on the way (refused, reset, timed out, cut short): worth another try.
TRANSIENT = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
log = logging.getLogger(__name__)


def backoff(retry: int, factor: float, most: float) -> float:
    """No wait before the first retry, then factor * 2^(n-1) s before retry n, at most ``most``
    (0.2, 0.4, ... 6.4, 8 s by default: about 20 s over 8 retries), as urllib3's ``Retry`` does.

    The factor is 0.1 s, not more: against the replay server at --error-rate 0.2, 0.25 s made 1,230
    box scores take 49 s instead of 7 s (1 request in 25 fails twice in a row and waits).
    """
    return 0.0 if retry <= 1 else min(most, factor * 2 ** (retry - 1))


class _Answer:
    """A 200 answer: its URL and its body (read whole, within the cap)."""

    def __init__(self, url: str, content: bytes) -> None:
        self.url = url
        self.content = content


class ScoresApiClient:
    """A Scores API at ``base_url`` (default ``$SHOT_PLATFORM_SCORES_API_URL``), key optional
    (default ``$SHOT_PLATFORM_SCORES_API_KEY``), sent in the ``Authorization`` header.

    Limits (see the module docstring): ``deadline`` seconds per request, all attempts and waits
    included; ``max_body_bytes`` per answer; ``max_pages`` and ``max_listing_items`` per listing.
    """

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
        deadline: float = 120.0,
        max_body_bytes: int = 16 * 2**20,
        max_pages: int = 1_000,
        max_listing_items: int = 100_000,
    ) -> None:
        base_url = base_url or FreeThrowSettings.from_env().scores_api.url
        if not base_url:
            raise ScoresApiConfigError(f"no Scores API URL: set {URL_ENV} (e.g. http://127.0.0.1:5100) or pass one")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        if deadline <= 0 or max_body_bytes < 1 or max_pages < 1 or max_listing_items < 1:
            raise ValueError("deadline, max_body_bytes, max_pages and max_listing_items must be positive")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.per_page = per_page
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.max_pages = max_pages
        self.max_listing_items = max_listing_items
        self.session = requests.Session()
        adapter = DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "shot-platform scores-api client"})
        api_key = api_key if api_key is not None else FreeThrowSettings.from_env().scores_api.api_key
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
        try:
            answer = self._send(method, path, params)
        except _TooLarge as error:
            raise ResponseTooLarge(error.url, f"{error.what}, over the client's max_body_bytes") from None
        return answer.url, decode(answer.content, answer.url)

    def _send(self, method: str, path: str, params: dict[str, Any] | None = None) -> _Answer:
        """A 200 answer (after the retries, within the deadline); a typed error for anything else."""
        url = f"{self.base_url}{path}"
        retries = self.retries if method == "GET" else 0  # a POST (the replay controls) may not be idempotent
        with Deadline(self.deadline) as deadline:
            attempt = 0
            while True:
                attempt += 1
                # Per read as before, and never past the deadline (the timer ends a read that is).
                timeout = (self.timeout[0], max(0.01, min(self.timeout[1], deadline.remaining())))
                try:
                    response = self.session.request(method, url, params=params, timeout=timeout, stream=True)
                    try:
                        body = read_body(response, self.max_body_bytes)
                    finally:
                        response.close()  # a body left unread is not reused: the connection goes
                except BodyTooLarge as error:
                    raise _TooLarge(response.url, error.what, error.head) from None
                except TRANSIENT as error:
                    failure = f"{type(error).__name__}: {str(error)[:200]}"
                    wait = backoff(attempt, self.backoff_factor, self.backoff_max)
                    if deadline.expired:  # the timer ended the read
                        raise self._out_of_time(url, deadline, attempt, failure) from None
                    if attempt > retries:
                        raise ScoresApiUnavailable(
                            f"cannot reach the Scores API at {self.base_url} after {attempt} attempts in "
                            f"{deadline.elapsed():.1f} s ({failure}); check {URL_ENV} and that the server is up, "
                            "then try again"
                        ) from None
                    if deadline.remaining() <= wait:
                        raise self._out_of_time(url, deadline, attempt, failure) from None
                    time.sleep(wait)
                    continue
                if response.status_code == 200:
                    return _Answer(response.url, body)
                message = _error_message(body)
                if response.status_code not in RETRY_STATUSES:
                    raise self._refusal(response.url, response.status_code, body, message)
                asked = retry_after(response.headers.get("Retry-After"))
                wait = (
                    min(asked, self.retry_after_max)
                    if asked is not None and response.status_code in (429, 503)
                    else backoff(attempt, self.backoff_factor, self.backoff_max)
                )
                if attempt > retries or deadline.remaining() <= wait:
                    header = response.headers.get("Retry-After")
                    raise ScoresApiUnavailable(
                        f"{response.url} still answered {response.status_code} after {attempt - 1} retries "
                        f"({attempt} attempts in {deadline.elapsed():.1f} s, deadline {self.deadline:g} s"
                        + (f", Retry-After {header[:40]!r}" if header is not None else "")
                        + (f", a {wait:g} s wait would pass the deadline" if attempt <= retries else "")
                        + f"; {message}); try again later"
                    )
                time.sleep(wait)

    def _out_of_time(self, url: str, deadline: Deadline, attempts: int, failure: str) -> ScoresApiUnavailable:
        return ScoresApiUnavailable(
            f"{url}: no complete answer within the {self.deadline:g} s deadline ({attempts} attempts in "
            f"{deadline.elapsed():.1f} s; last: {failure}); the Scores API is too slow or stalls: try again "
            "later, or raise the client's deadline"
        )

    def _refusal(self, url: str, status: int, body: bytes, message: str) -> ScoresApiError:
        if status in (401, 403):
            return ScoresApiAuthError(
                f"the Scores API at {self.base_url} refused the request ({status}: {message}); "
                f"set {KEY_ENV} to a valid key"
            )
        if status == 404:
            return _NotFound(url, _error_body(body).get("code"), message)
        if 400 <= status < 500:
            return ScoresApiRequestError(f"{url} refused the request ({status}: {message})")
        return ScoresApiUnavailable(f"{url} answered {status} ({message}); try again later")

    def _pages(
        self, path: str, params: dict[str, Any], parse: Callable[[Any, str], tuple[list[Any], Any]]
    ) -> Iterator[tuple[str, list[Any]]]:
        """(url, items) of each page of a listing, ``parse`` giving a page's items and next cursor;
        at most ``max_pages`` pages and ``max_listing_items`` items."""
        cursor = None
        total = 0
        for _ in range(self.max_pages):
            query = {**params, "per_page": self.per_page}
            if cursor is not None:
                query["cursor"] = cursor
            url, payload = self._request("GET", path, query)
            items, next_cursor = parse(payload, url)
            total += len(items)
            if total > self.max_listing_items:
                raise ListingTooLong(
                    url,
                    f"more than {self.max_listing_items} items in one listing (the client's max_listing_items); "
                    "ask the provider, or raise max_listing_items if the listing is really this long",
                )
            yield url, items
            if next_cursor is None:
                return
            if not items or next_cursor == cursor:
                raise MalformedResponse(url, f"next_cursor {next_cursor!r} does not advance past this page")
            cursor = next_cursor
        raise ListingTooLong(
            f"{self.base_url}{path}",
            f"no end after {self.max_pages} pages (the client's max_pages): the provider keeps giving new "
            "cursors; ask the provider, or raise max_pages if the listing is really this long",
        )

    # -- API -----------------------------------------------------------------------------------

    def seasons(self) -> list[Season]:
        """Every season with its schedule size and how much of it is final, oldest first."""
        seasons = [
            item
            for _, items in self._pages("/v1/seasons", {}, lambda payload, url: parse_page(payload, Season, url))
            for item in items
        ]
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
        on_invalid: Callable[[InvalidListedGame], None] | None = None,
        unused: tuple[str, ...] = UNUSED_LISTING_FIELDS,
    ) -> Iterator[Game]:
        """Games in the API's order (season, then id), every page, each game once.

        ``after`` is a game id: only the games after it (it must be a game the API knows).
        ``updated_since``: only final games whose ``updated_at`` is that time or later.
        A game whose used fields are bad (``InvalidListedGame``) is raised where it comes, after the
        good games before it; with ``on_invalid`` it is handed to that instead and the listing goes
        on. Bad values of the ``unused`` fields are ignored (None) and logged.
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
        listing = f"{self.base_url}/v1/games"
        previous: tuple[int, int] | None = None

        def parse(payload: Any, url: str) -> tuple[list[Any], Any]:
            items, next_cursor, notes = parse_game_page(payload, url, unused)
            for note in notes:
                log.warning("%s: %s", url, note)
            return items, next_cursor

        try:
            for _, items in self._pages("/v1/games", params, parse):
                for game in items:
                    if isinstance(game, InvalidListedGame):
                        if on_invalid is None:
                            raise game
                        on_invalid(game)
                        continue
                    key = (game.season, game.id)
                    if (previous is not None and key <= previous) or game.id == after:
                        raise MalformedResponse(
                            listing,
                            f"game {game.id} (season {game.season}) came after game "
                            f"{previous[1] if previous else after}: the listing is not in (season, id) order or "
                            "repeats a game",
                        )
                    if season is not None and game.season != season:
                        raise MalformedResponse(listing, f"game {game.id} of season {game.season} in season {season}")
                    if updated_since is not None and (game.updated_at is None or game.updated_at < updated_since):
                        raise MalformedResponse(
                            listing,
                            f"game {game.id} was updated at {game.updated_at}, not since {updated_since}: "
                            "the provider does not filter on updated_since",
                        )
                    if status is not None and game.status != status:
                        raise MalformedResponse(listing, f"game {game.id} is {game.status}, not {status}")
                    previous = key
                    yield game
        except _NotFound as missing:
            if missing.code == "unknown_game" and after is not None:
                raise UnknownGame(after, f"the Scores API does not know game {after}: {missing.message}") from None
            raise ScoresApiRequestError(f"{missing.url}: {missing.message}") from None

    def schedule(self, season: int) -> list[Game]:
        """Every game of a season, scheduled and final, in id order. A schedule's ``updated_at`` is
        not used either (the final listing's and the box score's are)."""
        return list(self.games(season=season, unused=(*UNUSED_LISTING_FIELDS, "updated_at")))

    def final_games_after(
        self,
        after: int | None = None,
        *,
        season: int | None = None,
        on_invalid: Callable[[InvalidListedGame], None] | None = None,
    ) -> Iterator[Game]:
        """Final games after game ``after`` (the last one processed; None: from the first)."""
        return self.games(status="final", after=after, season=season, on_invalid=on_invalid)

    def changed_final_games(
        self, since: dt.datetime | None, *, on_invalid: Callable[[InvalidListedGame], None] | None = None
    ) -> Iterator[Game]:
        """Final games whose result was published or corrected at ``since`` or later (None: all)."""
        return self.games(status="final", updated_since=since, on_invalid=on_invalid)

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
            answer = self._send("GET", f"/v1/games/{int(game_id)}/free_throws")
        except _NotFound as missing:
            if missing.code == "not_final":
                raise GameNotFinal(game_id, f"game {game_id} is not final yet: {missing.message}") from None
            raise UnknownGame(game_id, f"the Scores API does not know game {game_id}: {missing.message}") from None
        except _TooLarge as error:  # this game's answer: quarantined with its first bytes
            raise InvalidBoxScore(
                game_id,
                f"{error.what}, over the client's max_body_bytes {self.max_body_bytes:,} (its first "
                f"{len(error.head):,} bytes kept)",
                error.head.decode("utf-8", "replace"),
            ) from None
        try:
            payload = decode(answer.content, answer.url)
        except MalformedResponse as error:  # still this game's answer: quarantined with the body as received
            raise InvalidBoxScore(game_id, error.reason, answer.content.decode("utf-8", "replace")) from None
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


class _TooLarge(ScoresApiError):
    """A body over the cap; turned into ResponseTooLarge or a box score's quarantine by the caller."""

    def __init__(self, url: str, what: str, head: bytes) -> None:
        super().__init__(f"{url}: {what}")
        self.url = url
        self.what = what
        self.head = head


def _error_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = decode(body, "")
    except MalformedResponse:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _error_message(body: bytes) -> str:
    return str(_error_body(body).get("error") or body[:200].decode("utf-8", "replace"))[:300]
