"""The Scores API's JSON shapes, declared once: the replay server writes them, the client parses them.

The envelope follows public basketball APIs (balldontlie): a list endpoint answers
``{"data": [...], "meta": {"next_cursor": ..., "per_page": ...}}`` and a single object
``{"data": {...}}``. Counts must be JSON integers (``2.0``, ``true`` or ``"2"`` are rejected, never
coerced), and a box score must agree with itself: made <= attempted for every player, one line per
player, and the per-player counts equal to what its play-by-play rows say.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Annotated, Any, Literal, TypeVar

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from shot_platform.core.names import check_name
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.scores_api.errors import (
    GameNotFinal,
    InvalidBoxScore,
    InvalidListedGame,
    MalformedResponse,
)

# The play-by-play columns: the Kaggle "NBA free throws" header, in the file's order. Plays travel as
# the file's text so the platform pushes them through its one free-throw validation and ingest path.
PLAY_COLUMNS = FREE_THROW_COLUMNS
MAX_PER_PAGE = 100
MAX_ID = 2**63 - 1  # a BIGINT column holds every id the client accepts

_STRICT = ConfigDict(strict=True, frozen=True, extra="ignore")
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
PlayerName = Annotated[Name, AfterValidator(check_name)]  # the one name rule of files too (core.names)


class Season(BaseModel):
    """One season: its schedule's size and how much of it is final."""

    model_config = _STRICT

    season: int = Field(ge=1800, le=9999, description="the year the season starts, e.g. 2006")
    name: Name = Field(description='as in the data, e.g. "2006 - 2007"')
    regular_season_games: Count = Field(description="the season's schedule, All-Star game excluded")
    postseason_games: Count
    final_regular_season_games: Count
    final_postseason_games: Count
    all_star_games: Count = 0
    final_all_star_games: Count = 0

    @model_validator(mode="after")
    def _final_within_schedule(self) -> Season:
        if self.final_regular_season_games > self.regular_season_games:
            raise ValueError("final_regular_season_games exceeds regular_season_games")
        if self.final_postseason_games > self.postseason_games:
            raise ValueError("final_postseason_games exceeds postseason_games")
        if self.final_all_star_games > self.all_star_games:
            raise ValueError("final_all_star_games exceeds all_star_games")
        return self


def _aware_time(value: Any) -> Any:
    """ISO 8601 text with a zone -> an aware datetime in UTC (a time without a zone is refused:
    comparing it with the ledger's would depend on this machine's zone)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a time without a zone")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00: in UTC, past the year 9999
            raise ValueError(f"{value.isoformat()} is out of range in UTC") from None
    return value


UpdatedAt = Annotated[dt.datetime, BeforeValidator(_aware_time)]


class Game(BaseModel):
    """A scheduled or final game. Scores are null until the game is final.

    ``updated_at``: when the provider published the result or last changed it (a correction), as
    real providers stamp their records; optional, since not every provider has it (then a
    correction after a game was processed cannot be noticed). Not part of the result itself: the
    ledger's ``box_hash`` leaves it out (``result_dump``).
    """

    model_config = _STRICT

    id: int = Field(ge=1, le=MAX_ID)
    season: int = Field(ge=1800, le=9999)
    postseason: bool
    all_star: bool = False  # the All-Star game: not postseason, not part of the regular season either
    status: Literal["scheduled", "final"]
    home_team: Name
    visitor_team: Name
    home_team_score: Count | None = None
    visitor_team_score: Count | None = None
    updated_at: UpdatedAt | None = None


class PlayerFreeThrows(BaseModel):
    """One player's free throws in one game."""

    model_config = _STRICT

    player: PlayerName
    free_throws_attempted: Count
    free_throws_made: Count

    @model_validator(mode="after")
    def _made_within_attempted(self) -> PlayerFreeThrows:
        if self.free_throws_made > self.free_throws_attempted:
            raise ValueError(
                f"{self.player}: free_throws_made {self.free_throws_made} exceeds "
                f"free_throws_attempted {self.free_throws_attempted}"
            )
        return self


def _play_text(value: Any) -> Any:
    """A play value is the file's text; a provider sending a JSON integer means the same digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


PlayValue = Annotated[str, BeforeValidator(_play_text)]


class _PlayRow(BaseModel):
    model_config = _STRICT

    def row(self) -> dict[str, str]:
        """The play as a row of the Kaggle file."""
        return {column: getattr(self, column) for column in PLAY_COLUMNS}


# One free-throw attempt: a text field per Kaggle column, declared from the columns themselves.
Play = pydantic.create_model("Play", __base__=_PlayRow, **{c: (PlayValue, ...) for c in PLAY_COLUMNS})


def _same_id(text: str, game_id: int) -> bool:
    return re.fullmatch(r"[0-9]{1,19}", text) is not None and int(text) == game_id


class BoxScore(BaseModel):
    """A final game's free throws: one line per player, and the play-by-play rows behind them."""

    model_config = _STRICT

    game: Game
    players: list[PlayerFreeThrows]
    plays: list[Play]

    @model_validator(mode="after")
    def _consistent(self) -> BoxScore:
        names = [line.player for line in self.players]
        duplicated = sorted(name for name, count in Counter(names).items() if count > 1)
        if duplicated:
            raise ValueError(f"players listed twice: {', '.join(duplicated)}")
        other_games = {play.game_id for play in self.plays if not _same_id(play.game_id, self.game.id)}
        if other_games:
            raise ValueError(f"plays of another game ({', '.join(sorted(other_games))}) in game {self.game.id}")
        attempts = Counter(play.player for play in self.plays)
        made = Counter(play.player for play in self.plays if play.shot_made == "1")
        for line in self.players:
            if attempts.get(line.player, 0) != line.free_throws_attempted:
                raise ValueError(
                    f"{line.player}: free_throws_attempted {line.free_throws_attempted} but "
                    f"{attempts.get(line.player, 0)} plays"
                )
            if made.get(line.player, 0) != line.free_throws_made:
                raise ValueError(
                    f"{line.player}: free_throws_made {line.free_throws_made} but "
                    f"{made.get(line.player, 0)} plays with shot_made 1"
                )
        unlisted = sorted(set(attempts) - set(names))
        if unlisted:
            raise ValueError(f"plays of players missing from the box score: {', '.join(unlisted)}")
        return self

    def rows(self) -> list[dict[str, str]]:
        """The plays as rows of the Kaggle file, for the free-throw ingest path."""
        return [play.row() for play in self.plays]

    def result_dump(self) -> dict[str, Any]:
        """The result as JSON values, without ``game.updated_at`` (when it changed is not what changed;
        and without the field, the dump of a box from before it existed is the same)."""
        return self.model_dump(mode="json", exclude={"game": {"updated_at"}})


T = TypeVar("T", bound=BaseModel)


class Meta(BaseModel):
    model_config = _STRICT

    next_cursor: int | str | None = None
    per_page: int = Field(ge=1, le=10_000)


class _Envelope(BaseModel):
    model_config = _STRICT

    data: Any
    meta: Meta | None = None


def describe(error: ValidationError, limit: int = 3) -> str:
    """pydantic's errors as 'where: what' text, the first few only."""
    parts = []
    for detail in error.errors()[:limit]:
        where = ".".join(str(part) for part in detail["loc"]) or "body"
        parts.append(f"{where}: {detail['msg'].removeprefix('Value error, ')}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def decode(body: str | bytes | bytearray, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedResponse(url, f"not JSON ({error})") from None
    except RecursionError:
        raise MalformedResponse(url, "JSON nested deeper than the parser goes (no Scores API answer is)") from None


def parse_page(payload: Any, item: type[T], url: str) -> tuple[list[T], int | str | None]:
    """A list page: its items and the cursor of the next page (None on the last page).

    Any bad item rejects the whole page (``MalformedResponse``): returning the good ones would skip
    the bad one silently.
    """
    data, next_cursor = _page_data(payload, url)
    items = []
    for index, raw in enumerate(data):
        try:
            items.append(item.model_validate(raw))
        except ValidationError as error:
            raise MalformedResponse(url, f"data.{index}: {describe(error)}") from None
    return items, next_cursor


def _page_data(payload: Any, url: str) -> tuple[list[Any], int | str | None]:
    """A list page's raw items and next cursor; ``MalformedResponse`` when it is no list page."""
    try:
        envelope = _Envelope.model_validate(payload)
    except ValidationError as error:
        raise MalformedResponse(url, describe(error)) from None
    if envelope.meta is None:
        raise MalformedResponse(url, "meta: missing (a list page needs meta.next_cursor)")
    if not isinstance(envelope.data, list):
        raise MalformedResponse(url, f"data: a list expected, got {type(envelope.data).__name__}")
    return envelope.data, envelope.meta.next_cursor


# Fields of a game in a listing that nothing reads: the score is part of the result only in a box
# score, where it is checked. A bad one is ignored (and logged), it does not make the game unusable.
UNUSED_LISTING_FIELDS = ("home_team_score", "visitor_team_score")
SHOWN_VALUE = 60  # characters of a provider's bad value quoted in a message


def _readable_id(raw: dict[str, Any]) -> int | None:
    value = raw.get("id")
    return value if type(value) is int and 1 <= value <= MAX_ID else None


def _readable_season(raw: dict[str, Any]) -> int | None:
    value = raw.get("season")
    return value if type(value) is int and 1800 <= value <= 9999 else None


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 3] + "..."


def parse_listed_game(
    raw: Any, index: int, url: str, unused: tuple[str, ...] = UNUSED_LISTING_FIELDS
) -> tuple[Game, list[str]]:
    """A game of a listing and notes on the unused fields ignored; ``InvalidListedGame`` when a used
    field is bad but the id is readable, ``MalformedResponse`` (the page refused) when it is not:
    a game without an id can be neither processed nor quarantined, and skipping it would be silent."""
    if not isinstance(raw, dict) or _readable_id(raw) is None:
        what = f"id {shown(raw.get('id'))}" if isinstance(raw, dict) else f"a {type(raw).__name__}, not an object"
        raise MalformedResponse(
            url,
            f"data.{index}: {what} is not a game id (1..{MAX_ID}), so this game can be neither processed nor "
            "quarantined; the page is refused: ask the provider to fix it, then sync again",
        )
    game_id = _readable_id(raw)
    assert game_id is not None
    try:
        return Game.model_validate(raw), []
    except ValidationError as error:
        problems: dict[str, str] = {}
        for detail in error.errors():
            field_name = str(detail["loc"][0]) if detail["loc"] else ""
            problems.setdefault(field_name, detail["msg"])
        if not set(problems) <= set(unused):
            raise InvalidListedGame(url, index, game_id, _readable_season(raw), describe(error), raw) from None
    bad = sorted(problems)
    notes = [
        f"game {game_id}: {name} {shown(raw[name])} ignored (not used here, and invalid: {problems[name]})"
        for name in bad
    ]
    return Game.model_validate(raw | dict.fromkeys(bad)), notes


def parse_game_page(
    payload: Any, url: str, unused: tuple[str, ...] = UNUSED_LISTING_FIELDS
) -> tuple[list[Game | InvalidListedGame], int | str | None, list[str]]:
    """A page of games: each game, or the ``InvalidListedGame`` in its place; the next cursor; notes on
    ignored unused fields. Only what cannot be tied to a game refuses the page (``MalformedResponse``)."""
    data, next_cursor = _page_data(payload, url)
    items: list[Game | InvalidListedGame] = []
    notes: list[str] = []
    for index, raw in enumerate(data):
        try:
            game, ignored = parse_listed_game(raw, index, url, unused)
        except InvalidListedGame as error:
            items.append(error)
            continue
        items.append(game)
        notes.extend(ignored)
    return items, next_cursor, notes


def parse_game(payload: Any, url: str) -> Game:
    try:
        return Game.model_validate(_Envelope.model_validate(payload).data)
    except ValidationError as error:
        raise MalformedResponse(url, describe(error)) from None


def parse_box_score(payload: Any, game_id: int) -> BoxScore:
    """A final game's box score, or ``InvalidBoxScore`` (with its quarantine record) naming the rule.

    ``GameNotFinal`` when the provider answers the game but it is not final yet.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise InvalidBoxScore(game_id, 'not a {"data": {...}} object', payload)
    data = payload["data"]
    game = data.get("game")
    if isinstance(game, dict) and game.get("status") == "scheduled" and game.get("id") == game_id:
        raise GameNotFinal(game_id, f"game {game_id} is scheduled, not final: no box score yet")
    try:
        box = BoxScore.model_validate(data)
    except ValidationError as error:
        raise InvalidBoxScore(game_id, describe(error), payload) from None
    if box.game.id != game_id:
        raise InvalidBoxScore(game_id, f"unknown game: asked for game {game_id}, got game {box.game.id}", payload)
    if box.game.status != "final":
        raise GameNotFinal(game_id, f"game {game_id} is {box.game.status}, not final: no box score yet")
    return box
