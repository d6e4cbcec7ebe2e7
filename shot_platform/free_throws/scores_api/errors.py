"""What can go wrong talking to a Scores API, as types a caller's loop can catch one by one.

Every error derives from :class:`ScoresApiError`, so a sync loop that catches that one class never
crashes on the provider; the subclasses say what to do next (retry later, fix the key, quarantine).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


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


class UnknownGame(ScoresApiError):
    """The API does not know this game id (404)."""

    def __init__(self, game_id: int, message: str) -> None:
        super().__init__(message)
        self.game_id = game_id


class GameNotFinal(ScoresApiError):
    """The game is scheduled, not final yet: it has no box score."""

    def __init__(self, game_id: int, message: str) -> None:
        super().__init__(message)
        self.game_id = game_id


class MalformedResponse(ScoresApiError):
    """The API answered something that is not a valid page (bad JSON, missing fields, broken cursor).

    Nothing of that page was returned, so the caller's cursor has not moved past it: retrying later
    neither skips nor repeats a game.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"malformed response from {url}: {reason}")
        self.url = url
        self.reason = reason


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
        text = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True, default=str)
        self.record = QuarantinedGame(game_id=game_id, reason=reason, payload=text)
