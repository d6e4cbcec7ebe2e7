"""What can go wrong talking to a Scores API, as types a caller's loop can catch one by one.

Every error derives from :class:`ScoresApiError`, so a sync loop that catches that one class never
crashes on the provider; the subclasses say what to do next (retry later, fix the key, quarantine).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# What the package exports (``scores_api/__init__.py`` re-exports these, so they are listed once).
__all__ = [
    "GameNotFinal",
    "InvalidBoxScore",
    "InvalidListedGame",
    "ListingTooLong",
    "MalformedResponse",
    "QuarantinedGame",
    "ResponseTooLarge",
    "ScoresApiAuthError",
    "ScoresApiConfigError",
    "ScoresApiError",
    "ScoresApiRequestError",
    "ScoresApiUnavailable",
    "UnknownGame",
]


class ScoresApiError(Exception):
    """Base class: anything the Scores API client could not turn into valid data."""


class ScoresApiConfigError(ScoresApiError):
    """The client is not configured (no URL)."""


class ScoresApiUnavailable(ScoresApiError):
    """The API could not be reached or kept failing after every retry; nothing was read, try later."""


class ScoresApiAuthError(ScoresApiError):
    """401/403: the API key is missing or wrong."""


class ScoresApiRequestError(ScoresApiError):
    """The API refused the request itself (400): a client bug or an unknown season."""


class _GameError(ScoresApiError):
    def __init__(self, game_id: int, message: str) -> None:
        super().__init__(message)
        self.game_id = game_id


class UnknownGame(_GameError):
    """The API does not know this game id (404)."""


class GameNotFinal(_GameError):
    """The game is scheduled, not final yet: it has no box score."""


class MalformedResponse(ScoresApiError):
    """The API answered something that is not a valid page (bad JSON, missing fields, broken cursor).

    Nothing of that page was returned, so the caller's cursor has not moved past it: retrying later
    neither skips nor repeats a game.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"malformed response from {url}: {reason}")
        self.url = url
        self.reason = reason


class ResponseTooLarge(MalformedResponse):
    """A body longer than the client's ``max_body_bytes``: reading stopped there, nothing was used."""


class ListingTooLong(MalformedResponse):
    """A listing that went past the client's ``max_pages`` or ``max_listing_items`` without an end."""


@dataclass(frozen=True)
class QuarantinedGame:
    """A final game whose box score cannot be used, kept with the reason and the raw payload."""

    game_id: int
    reason: str
    payload: str  # the response body as received (JSON text when it was JSON)


class InvalidBoxScore(ScoresApiError):
    """A final game's box score breaks a rule (made > attempted, counts disagree with the plays, ...).

    ``record`` is the quarantine record to store: the game is reported, never silently skipped.
    """

    def __init__(self, game_id: int, reason: str, payload: Any) -> None:
        super().__init__(f"game {game_id}: box score rejected: {reason}")
        self.record = QuarantinedGame(game_id=game_id, reason=reason, payload=payload_text(payload))


class InvalidListedGame(MalformedResponse):
    """A game in a listing whose id is readable but whose used fields are not (a bad ``season``,
    ``status``, ``updated_at``, ...): it cannot be processed, and it can be quarantined by its id.

    ``record`` is the quarantine record (the item as received); ``season`` is None when unreadable.
    The listing's other games are good: the client yields the ones before it, and with
    ``on_invalid`` hands it over and goes on.
    """

    def __init__(self, url: str, index: int, game_id: int, season: int | None, reason: str, item: Any) -> None:
        super().__init__(url, f"data.{index}: game {game_id}: {reason}")
        self.game_id = game_id
        self.season = season
        self.record = QuarantinedGame(game_id=game_id, reason=f"listed with {reason}", payload=payload_text(item))


def payload_text(payload: Any) -> str:
    """What a quarantine record keeps of a payload: the text as received, or its JSON."""
    if isinstance(payload, str):
        return payload
    try:
        return json.dumps(payload, sort_keys=True, default=str)
    except (RecursionError, ValueError):  # nested deeper than the encoder goes: its type says enough
        return f"<a {type(payload).__name__} nested too deeply to write back as JSON>"
