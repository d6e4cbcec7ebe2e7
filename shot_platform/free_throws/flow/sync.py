"""The game-by-game sync engine: final games from the Scores API, one at a time, in the API's order.

For each final game after the last one in the ledger (season by season, ``game_id`` within a
season), in the same store transaction (one per batch of up to ``BATCH_GAMES`` games, ending at a
season's last regular-season game):

1. its plays go through the free-throw ingest path (validation, quarantine, idempotency);
2. a regular-season game (All-Star excluded) adds its per-player counts (of the events ingest
   accepted, ``season_counts.py``) to ``free_throw_player_games``, feature rows for the players whose
   counts changed to ``free_throw_player_features``, and the labels that became known (a player who
   passed last season's made count: beat) to ``free_throw_labels``;
3. every player of the previous season gets his prediction after this game (``games_played`` =
   regular-season games final league-wide), through the cache (``cache.py``);
4. the game is recorded in the ledger (``ledger.py``).

What the games of a batch produce is written at its end (``batch_writer.py``). Before a season's
first game, every player of the previous season gets a preseason prediction (games_played 0). The
last regular-season game completes the season's labels (``season_labels.py``: not beaten; held back
when one of its games was quarantined). With ``retrain=True`` score_beater is retrained when due,
before the next season's preseason predictions (``inline_retrain.py``). Playoff games are ingested
and recorded but change no count.

One sync per store at a time (``lock.py``): a second one raises ``SyncRunning`` at once.

Never twice, never skipped (``feed.py``): the next game must be the next one of the API's schedule.
Plays that come again with other values than the stored ones conflict with them and are quarantined
by the ingest path (counts are those of the stored events, so none changes). After the new games,
the games the provider changed since the last check (``updated_at``) are compared with the ledger's
``box_hash``: a result that changed after it was processed is quarantined and reported, never
applied (``corrections.py``). A processed game that the schedule no longer lists keeps its number
and its counts, and is quarantined and reported once (``schedule.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.core.scorer import CountingScorer
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.batch_writer import BatchWriter, plain_rows, points_frame
from shot_platform.free_throws.flow.corrections import check_corrections
from shot_platform.free_throws.flow.feed import BATCH_GAMES, Feed, Fetched, unprocessed_final_games
from shot_platform.free_throws.flow.inline_retrain import InlineRetrain, retrain_threshold
from shot_platform.free_throws.flow.lock import SyncRunning, sync_lock
from shot_platform.free_throws.flow.refeed import full_refeed
from shot_platform.free_throws.flow.report import Clock, SyncReport
from shot_platform.free_throws.flow.scorers import NoModelError, SavedModelScorer, open_scorer
from shot_platform.free_throws.flow.season import SeasonState
from shot_platform.free_throws.flow.season_counts import NO_COUNTS, add_regular_game, ingest_batch, load_season
from shot_platform.free_throws.flow.season_labels import complete_season
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.store import FreeThrowStore, tables

PROGRESS_EVERY = 100


class SyncEngine:
    """One sync: the loop over batches of games, each in one transaction."""

    def __init__(
        self,
        store: FreeThrowStore,
        models: Any,
        client: ScoresApiClient,
        scorer: CountingScorer | None,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.store = store
        self.models = models
        self.report = SyncReport()
        self.clock = Clock(self.report)
        self.progress = progress or (lambda message: None)
        self.fixed_scorer = scorer is not None
        self.scorer = scorer
        self.feed = Feed(store, self.report, self.clock, self.progress, client=client)
        self.writer = BatchWriter(self.report, self.clock)
        self.retrain: InlineRetrain | None = None  # None: this sync never retrains
        self.state: SeasonState | None = None
        self.season_over = False  # a season's labels completed in the open batch: retraining may be due

    def ensure_scorer(self, check_champion: bool = False) -> CountingScorer:
        """The scorer; with ``check_champion`` (at a season's start, after retraining) re-opened when
        the champion changed. Not on every game: on S3 reading the pointer is a request."""
        if self.scorer is None or (
            check_champion
            and not self.fixed_scorer
            and isinstance(self.scorer, SavedModelScorer)
            and self.models.champion_version() != self.scorer.version
        ):
            with self.clock("model"):
                previous = self.scorer
                self.scorer = open_scorer(self.models)
                if previous is not None:
                    self.scorer.calls += previous.calls
                    self.scorer.rows += previous.rows
        self.report.model_version = self.scorer.version
        return self.scorer

    def maybe_retrain(self) -> None:
        if self.retrain is not None and self.retrain.maybe_retrain() and not self.fixed_scorer:
            self.ensure_scorer(check_champion=True)

    def season_state(self, season: int) -> SeasonState:
        if self.state is not None and self.state.season == season:
            return self.state
        numbers = self.feed.schedules.season_numbers(season)
        with self.clock("store"), self.store.transaction() as conn:
            self.state = load_season(conn, season, numbers)
        if self.state.predicted and self.state.games_played == 0:
            self.preseason()
        return self.state

    def preseason(self) -> None:
        """Preseason predictions and feature rows (games_played 0), through the cache like every refresh."""
        state = self.state
        assert state is not None
        scorer = self.ensure_scorer(check_champion=True)
        with self.clock("store"), self.store.transaction() as conn:
            everyone = np.arange(len(state.population))
            self.writer.queue(tables.free_throw_player_features, state.feature_rows(0, everyone))
            self.writer.predict(scorer, state.inputs(0))
            self.writer.flush(conn)
        self.progress(
            f"{season_short(state.season)}: preseason predictions for {len(state.population)} players "
            f"(model {scorer.version})"
        )

    def run(self, max_games: int | None) -> None:
        self.maybe_retrain()  # due from an earlier sync that ended (or was killed) before it finished
        while max_games is None or self.report.games_processed < max_games:
            left = BATCH_GAMES if max_games is None else min(BATCH_GAMES, max_games - self.report.games_processed)
            batch = self.feed.next_batch(left)
            if not batch:
                return
            fetched = self.feed.fetch_all(batch)
            try:
                self.process_batch(fetched)
            except BaseException:
                self.season_over = False
                self.state = None  # the transaction rolled back: reload the counts from the store
                self.writer.discard()
                raise
            if self.season_over:
                self.season_over = False
                self.maybe_retrain()
            if self.report.waiting_for is not None or len(fetched) < len(batch):
                return

    def process_batch(self, fetched: list[Fetched]) -> None:
        """A batch of games in ONE transaction: their events, counts, features, labels, predictions
        and ledger rows commit together (one commit per batch, not per game: a commit costs an
        fsync). A sync killed midway loses the batch entirely, and the next one redoes it."""
        with self.store.transaction() as conn:
            with self.clock("store"):
                counts = ingest_batch(self.store, conn, fetched, self.report)
            for item in fetched:
                self.process(item, counts.get(item.game.id, NO_COUNTS) if item.box is not None else None)
                if self.report.games_processed % PROGRESS_EVERY == 0:
                    self.progress(f"{self.report.games_processed} games processed (last {item.game.id}, "
                                  f"{season_short(item.game.season)})")  # fmt: skip
            self.writer.flush(conn)
            committing = time.perf_counter()
        self.report.seconds["store"] += time.perf_counter() - committing

    def process(self, item: Fetched, counts: pd.DataFrame | None) -> None:
        """One final game; its plays are already stored (``process_batch`` ingests a batch at once)."""
        game, box = item.game, item.box
        state = self.season_state(game.season)
        number = state.game_numbers.get(game.id)
        scorer = self.ensure_scorer() if (number is not None and state.predicted) else None
        with self.clock("store"), self.store.transaction() as conn:
            if box is None:
                assert item.problem is not None
                self.report.quarantined += ledger.quarantine_game(
                    conn, season=game.season, game_id=game.id, kind=item.kind, reason=item.problem.reason,
                    payload=item.problem.payload,
                )  # fmt: skip
                status, box_hash, attempts = ledger.QUARANTINED, ledger.payload_hash(item.problem.payload), 0
            else:
                status, attempts = ledger.PROCESSED, len(box.plays)
                box_hash = ledger.payload_hash(box.result_dump())
            if number is not None:
                self.report.labels_new += add_regular_game(self.writer, state, game.id, number, counts, scorer)
            self.writer.record({
                "season": game.season, "game_id": game.id, "postseason": game.postseason, "game_number": number,
                "status": status, "box_hash": box_hash, "attempts": attempts, "processed_at": dt.datetime.now(dt.UTC),
                "updated_at": ledger.iso((box.game if box is not None else game).updated_at),
            })  # fmt: skip
            if number is not None:
                state.games_played = number
            if number is not None and number == state.scheduled_games and state.predicted:
                held_back, new = complete_season(conn, self.writer, state, self.progress)
                self.report.labels_new += new
                if held_back:
                    self.report.held_back[state.season] = held_back
                self.season_over = True  # retraining reads the store: after the batch commits
        self.report.games_processed += 1
        self.report.last_game = game.id


def sync_free_throws(
    store: FreeThrowStore,
    models: Any,
    client: ScoresApiClient,
    *,
    full_refeed: bool = False,
    max_games: int | None = None,
    progress: Callable[[str], None] | None = None,
    scorer: CountingScorer | None = None,
    retrain: bool = True,
    retrain_min_new_labels: int | None = None,
    trainer: Any = None,
) -> SyncReport:
    """Process final games until the API has none left (or ``max_games``); see the module docstring.

    ``models``: the score_beater ``SavedModelStore`` (the champion predicts and retraining saves
    there); ``scorer``: predict with this instead (tests, the REST endpoint). ``retrain=False``: never
    retrain, whatever the labels (under Dagster the labels sensor retrains in its own run);
    otherwise at ``retrain_min_new_labels`` (default ``$SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS``, 100)
    new labelled player-seasons, with ``trainer`` (default ``flow.retrain.keras_trainer``). Raises ``NoModelError``
    when there is no model to predict with, and the client's ``ScoresApiError`` subclasses when the
    API cannot be used (everything processed before that is committed); ``SyncRunning`` at once when
    another sync holds the store's lock (``lock.py``).
    """
    with sync_lock(store.engine):
        store.create_schema()
        ledger.ensure_schema(store)
        engine = SyncEngine(store, models, client, scorer, progress)
        if retrain:
            threshold = retrain_threshold(retrain_min_new_labels)
            engine.retrain = InlineRetrain(
                store,
                engine.report,
                engine.clock,
                engine.progress,
                models=models,
                min_new_labels=threshold,
                trainer=trainer,
            )
        try:
            _sync(engine, client, full_refeed, max_games)
        finally:
            engine.feed.close()
            engine.clock.finish()
    return engine.report


def _sync(engine: SyncEngine, client: ScoresApiClient, refeed: bool, max_games: int | None) -> None:
    report = engine.report
    if engine.scorer is None and engine.models is not None and engine.models.champion_version() is None:
        raise NoModelError(
            "no score_beater model yet: train one (`shot-platform materialize --select group:free_throws`) or "
            "promote a version (`shot-platform models promote --model score_beater N`), then sync again"
        )
    if refeed:
        full_refeed(engine)
    engine.run(max_games)
    with engine.clock("http"):  # mostly the feed's requests; a changed game costs a box score and a write
        found = check_corrections(engine.store, client, engine.progress)
    report.quarantined += found.quarantined
    report.corrections += found.corrected
    if found.problem:
        report.problems.append(found.problem)
    if found.skipped:
        engine.progress(f"corrections not checked: {found.skipped}")


__all__ = [
    "SyncReport",
    "SyncRunning",
    "plain_rows",
    "points_frame",
    "retrain_threshold",
    "sync_free_throws",
    "unprocessed_final_games",
]
