"""The feed of final games from the Scores API: the next batch in the schedule's order (never a game
skipped, never one twice), and their box scores.

When the listing skips a game, the feed asks for that game itself and stops (to retry later) while
it is not final. A box score that breaks a rule and an id the schedule does not know are quarantined
with the reason; the flow goes on.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.report import SyncPart
from shot_platform.free_throws.flow.schedule import Schedules
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS, season_short
from shot_platform.free_throws.scores_api import (
    BoxScore,
    Game,
    GameNotFinal,
    InvalidBoxScore,
    InvalidListedGame,
    MalformedResponse,
    QuarantinedGame,
    ScoresApiClient,
    UnknownGame,
)
from shot_platform.free_throws.store import FreeThrowStore

LISTING_ATTEMPTS = 3  # a malformed listing page is asked again this often before the sync stops for now
# Games are fetched one by one, then ingested and recorded together in one transaction: validation has a
# fixed cost per call (pandas), and a commit costs an fsync.
BATCH_GAMES = 100  # the client's page size: one listing request per batch
# Box-score requests in flight, so that client and server do not wait on each other (requests' Session
# pools 10 connections per host).
FETCH_THREADS = 4


@dataclass(frozen=True)
class Fetched:
    """A game of the batch: its box score, or (``box`` None) the quarantine record and its kind."""

    game: Game
    box: BoxScore | None
    problem: QuarantinedGame | None = None
    kind: str = ""


def last_processed(store: FreeThrowStore) -> tuple[int, int] | None:
    with store.engine.connect() as conn:
        return ledger.last_processed(conn)


def unprocessed_final_games(store: FreeThrowStore, client: ScoresApiClient) -> list[Game]:
    """Final games the API lists after the last game in the ledger (what the sensor polls); one listed
    with a bad field is there as its schedule has it (a run quarantines it, see ``Feed.invalid_listed``)."""
    ledger.ensure_schema(store)
    cursor = last_processed(store)
    bad: list[InvalidListedGame] = []
    games = list(client.final_games_after(cursor[1] if cursor else None, on_invalid=bad.append))
    scheduled = {g.id: g for season in {b.season for b in bad if b.season} for g in client.schedule(season)}
    games += [scheduled[b.game_id] for b in bad if b.game_id in scheduled]
    return sorted(games, key=lambda game: (game.season, game.id))


def plays_frame(fetched: list[Fetched]) -> pd.DataFrame | None:
    """The batch's plays as one frame (built column by column: the ingest path takes the batch at once)."""
    plays = [play for item in fetched if item.box is not None for play in item.box.plays]
    if not plays:
        return None
    return pd.DataFrame({column: [getattr(play, column) for play in plays] for column in FREE_THROW_COLUMNS})


@dataclass
class Feed(SyncPart):
    client: ScoresApiClient
    schedules: Schedules = field(init=False)
    listing_problems: dict[int, QuarantinedGame] = field(
        default_factory=dict, init=False
    )  # listed with a bad used field: quarantined
    fetcher: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.schedules = Schedules(self.store, self.report, self.clock, self.progress, client=self.client)
        self.fetcher = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="scores-api")

    def close(self) -> None:
        self.fetcher.shutdown(cancel_futures=True)

    def next_batch(self, limit: int) -> list[Game]:
        """The next final games in order, each the schedule's next game (never one skipped).

        When the listing jumps over a game, that game is asked for directly: if it is final it
        comes next, otherwise the sync waits for it (``waiting_for``). A listed game that the
        season's schedule does not know is quarantined and recorded on its own.
        """
        batch: list[Game] = []
        cursor = last_processed(self.store)
        listing = self._listing(cursor)
        if listing is None:
            return batch
        previous = cursor
        for listed in listing:
            if len(batch) >= limit:
                break
            if not self.schedules.lists(listed):
                if not batch:
                    self._unknown(listed)
                    previous = (listed.season, listed.id)
                    continue
                break
            expected = self.schedules.expected_next(previous, listed)
            if expected is not None and (expected.season, expected.id) < (listed.season, listed.id):
                with self.clock("http"):
                    current = self.client.game(expected.id)
                if current.status != "final":
                    self.report.waiting_for = expected.id
                    self.progress(f"waiting for game {expected.id}: not final yet, so game {listed.id} waits too")
                    break
                batch.append(current)
                break  # the listing is behind the schedule here: list again after this game
            batch.append(listed)
            previous = (listed.season, listed.id)
            if self.schedules.last_regular(listed):
                break  # labels complete: retraining (if due) comes before any later game
        return batch

    def _listing(self, cursor: tuple[int, int] | None) -> list[Game] | None:
        """The first page of final games after the cursor (asked again when malformed)."""
        for attempt in range(LISTING_ATTEMPTS):
            games: list[Game] = []
            try:
                with self.clock("http"):
                    listed = self.client.final_games_after(cursor[1] if cursor else None)
                    for game in itertools.islice(listed, BATCH_GAMES):
                        games.append(game)  # one by one: kept when a later game is raised
                    return games
            except InvalidListedGame as bad:  # the good games before it first, then it (quarantined)
                return games or self.invalid_listed(bad)
            except MalformedResponse as error:
                if attempt + 1 == LISTING_ATTEMPTS:
                    self.report.problems.append(f"{error}; sync again later (nothing was skipped)")
                    return None
                time.sleep(0.2 * (attempt + 1))
        return None

    def invalid_listed(self, bad: InvalidListedGame) -> list[Game] | None:
        """A listed game with a bad field the flow uses: processed as quarantined in its schedule's place."""
        scheduled = [g for g in self.schedules.schedule(bad.season) if g.id == bad.game_id] if bad.season else []
        if not scheduled:
            self.report.problems.append(f"{bad}; not in a schedule, so it cannot be quarantined in its place: "
                                        f"ask the provider to fix game {bad.game_id}, then sync again")  # fmt: skip
            return None
        self.listing_problems[bad.game_id] = bad.record
        return scheduled

    def _unknown(self, game: Game) -> None:
        """A final game the season's schedule does not list: quarantined and recorded, never counted."""
        with self.clock("store"), self.store.transaction() as conn:
            self.report.quarantined += ledger.quarantine_game(
                conn, season=game.season, game_id=game.id, kind="unknown_game",
                reason=f"game {game.id} is listed final but is not in the {season_short(game.season)} schedule",
                payload=game.model_dump_json(),
            )  # fmt: skip
            ledger.record_game(
                conn, season=game.season, game_id=game.id, postseason=game.postseason, game_number=None,
                status=ledger.QUARANTINED, box_hash=ledger.payload_hash(game.model_dump(mode="json")), attempts=0,
                updated_at=ledger.iso(game.updated_at),
            )  # fmt: skip
        self.report.games_processed += 1

    def _fetch(self, game: Game) -> Fetched | GameNotFinal:
        """The game's box score or its quarantine record; a GameNotFinal is returned (so that
        ``fetch_all`` can stop there); other errors raise. Runs in the fetch threads."""
        if (record := self.listing_problems.pop(game.id, None)) is not None:
            return Fetched(game, None, record, "invalid_listing")
        try:
            return Fetched(game, self.client.box_score(game.id))
        except InvalidBoxScore as error:
            return Fetched(game, None, error.record, "invalid_box_score")
        except UnknownGame as error:
            return Fetched(game, None, QuarantinedGame(game.id, str(error), game.model_dump_json()), "unknown_game")
        except GameNotFinal as error:
            return error

    def fetch_all(self, batch: list[Game]) -> list[Fetched]:
        """The batch's box scores, up to the first game not final (``waiting_for``), in order: requested
        ``FETCH_THREADS`` at a time, processed one by one in order; a game after one that is not final
        is dropped unused."""
        with self.clock("http"):
            results = list(self.fetcher.map(self._fetch, batch))
        fetched = []
        for game, result in zip(batch, results, strict=True):
            if isinstance(result, GameNotFinal):
                self.report.waiting_for = game.id
                break
            fetched.append(result)
        return fetched


__all__ = ["BATCH_GAMES", "Feed", "Fetched", "last_processed", "plays_frame", "unprocessed_final_games"]
