"""The game-by-game sync engine: final games from the Scores API, one at a time, in the API's order.

For each final game after the last one in the ledger (season by season, ``game_id`` within a
season), in the same store transaction (one per batch of up to ``BATCH_GAMES`` games, ending at a
season's last regular-season game):

1. its plays go through the free-throw ingest path (validation, quarantine, idempotency);
2. a regular-season game (All-Star excluded) adds its per-player counts (from the stored events)
   to ``free_throw_player_games``, feature rows for the players whose counts changed to
   ``free_throw_player_features``, and the labels that became known (a player who passed last
   season's made count: beat) to ``free_throw_labels``;
3. every player of the previous season gets his prediction after this game (``games_played`` =
   regular-season games final league-wide), through the cache (``cache.py``);
4. the game is recorded in the ledger (``ledger.py``).

Before a season's first game, every player of the previous season gets a preseason prediction
(games_played 0). The last regular-season game completes the season's labels (not beaten; held back
when one of its games was quarantined: its free throws are missing). Retraining is due from what the
store says, checked when a sync starts and after a season completes: the newest complete season with
at least ``SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS`` (default 100) labelled player-seasons the champion
has not trained on, and no retraining judged on it recorded yet. score_beater is then retrained
through the gate (``retrain.py``) before the next season's preseason predictions, and the attempt is
recorded once it ends: a sync killed during it retrains when it restarts, a rejected challenger is
not trained again. Playoff games are ingested and recorded but change no count.

One sync per store at a time (``lock.py``): a second one raises ``SyncRunning`` at once.

Never twice, never skipped: the next game must be the next one of the API's schedule; when the
listing skips a game, the engine asks for that game itself and stops (to retry later) while it is
not final. A box score that breaks a rule and an id the schedule does not know are quarantined
with the reason and reported; the flow goes on. Plays that come again with other values than the
stored ones conflict with them and are quarantined by the ingest path (counts come from the stored
events, so none changes). After the new games, the games the provider changed since the last
check (``updated_at``) are compared with the ledger's ``box_hash``: a result that changed after it
was processed is quarantined and reported, never applied (``corrections.py``). A processed game that
the schedule no longer lists keeps its number and its counts, and is quarantined and reported once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, select

from shot_platform.core.scorer import CountingScorer
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.cache import PredictionCache, delete_version, refresh_predictions, upsert
from shot_platform.free_throws.flow.corrections import check_corrections
from shot_platform.free_throws.flow.lock import SyncRunning, sync_lock
from shot_platform.free_throws.flow.scorers import NoModelError, SavedModelScorer, open_scorer
from shot_platform.free_throws.flow.season import SeasonState, is_all_star, load_state
from shot_platform.free_throws.ingest.events import ingest_free_throw_frame
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS, PLAYER, REGULAR, season_short
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
from shot_platform.free_throws.settings import FreeThrowSettings
from shot_platform.free_throws.store import FreeThrowStore, tables

LISTING_ATTEMPTS = 3  # a malformed listing page is asked again this often before the sync stops for now
# Games are fetched one by one, then ingested and recorded together in one transaction: validating 40
# plays costs about as much as 4,000 (pandas overhead), and a commit costs an fsync.
BATCH_GAMES = 100  # the client's page size: one listing request per batch
PROGRESS_EVERY = 100
FETCH_THREADS = 4  # box-score requests in flight (requests' Session pools 10 connections per host)


def retrain_threshold(value: int | None = None) -> int:
    return value if value is not None else FreeThrowSettings.from_env().retrain_min_new_labels


@dataclass
class SyncReport:
    """What one sync did; ``seconds`` splits wall time into model, store, http and other."""

    games_processed: int = 0
    predictions_computed: int = 0
    predictions_reused: int = 0
    labels_new: int = 0
    quarantined: int = 0  # games and play rows quarantined by this sync
    retrained: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("model", "store", "http", "other"), 0.0))
    rows_inserted: int = 0
    last_game: int | None = None
    waiting_for: int | None = None  # a scheduled game the API has not finalised; later games wait for it
    problems: list[str] = field(default_factory=list)  # what stopped the sync early (retry later)
    corrections: list[str] = field(default_factory=list)  # processed games whose result changed since
    schedule_changes: list[str] = field(default_factory=list)  # processed games the schedule dropped since
    held_back: dict[int, list[int]] = field(default_factory=dict)  # season -> quarantined regular games
    model_version: str = ""

    @property
    def cache_hit_rate(self) -> float:
        total = self.predictions_computed + self.predictions_reused
        return self.predictions_reused / total if total else 0.0

    def summary(self) -> str:
        seconds = ", ".join(f"{name} {value:.1f} s" for name, value in self.seconds.items())
        text = (
            f"{self.games_processed} games, {self.predictions_computed} predictions computed, "
            f"{self.predictions_reused} reused from the cache, {self.labels_new} new labels, "
            f"{self.quarantined} quarantined, {len(self.retrained)} retraining runs ({seconds})"
        )
        if self.corrections:
            text += f"; {len(self.corrections)} results changed after they were processed (quarantined, not applied)"
        if self.schedule_changes:
            text += (
                f"; {len(self.schedule_changes)} processed games no longer in the provider's schedule "
                "(counts kept, quarantined)"
            )
        for season, games in sorted(self.held_back.items()):
            text += (
                f"; {season_short(season)} labels not final: {len(games)} regular-season games quarantined "
                f"({', '.join(map(str, games[:5]))}{', ...' if len(games) > 5 else ''})"
            )
        if self.waiting_for is not None:
            text += f"; waiting for game {self.waiting_for} (not final yet)"
        return text


class _Clock:
    def __init__(self, report: SyncReport) -> None:
        self.report = report
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.seconds[kind] += time.perf_counter() - started

    def finish(self) -> None:
        total = time.perf_counter() - self.started
        measured = sum(v for k, v in self.report.seconds.items() if k != "other")
        self.report.seconds["other"] = max(0.0, total - measured)


_NO_COUNTS = pd.DataFrame({PLAYER: pd.Series(dtype=object), "made": pd.Series(dtype="int64"),
                           "attempted": pd.Series(dtype="int64")})  # fmt: skip


def plain_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of Python scalars (``tolist`` converts numpy types; ``records`` costs 10x more
    on the few hundred rows of a game). The frame must hold no missing values."""
    columns = {name: frame[name].tolist() for name in frame.columns}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _runs(items: list, key: Callable[[Any], Any]) -> Iterator[tuple[Any, list]]:
    """Consecutive items with the same key (compared by identity: states and scorers), in order."""
    for _, group in itertools.groupby(items, key=lambda item: tuple(map(id, _as_tuple(key(item))))):
        group = list(group)
        yield key(group[0]), group


def _as_tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def points_frame(
    state: SeasonState, games_played: np.ndarray, rows: np.ndarray, so_far: np.ndarray, *, features: bool
) -> pd.DataFrame:
    """``state.inputs`` (or ``state.feature_rows``) of many points in one call: point i is population
    row ``rows[i]`` after ``games_played[i]`` league games, when his counts so far were ``so_far[:, i]``.

    The call goes to a view of the state whose population is the points (every per-player array
    taken at ``rows``, ``so_far`` the snapshots), with ``games_played`` an array: ``inputs`` fills
    its games_played columns with ``np.full``, which takes one value per row as well as one for
    all. The values are the same numbers as point-by-point calls (the replay-equals-batch test).
    """
    players = len(state.population)
    changes: dict[str, Any] = {"population": state.population[rows], "so_far": so_far}
    for item in dataclasses.fields(state):
        value = getattr(state, item.name)
        if item.name in changes:
            continue
        if isinstance(value, np.ndarray) and value.shape[-1:] == (players,):
            changes[item.name] = value[..., rows]
        elif isinstance(value, pd.Index | pd.Series | pd.DataFrame) and len(value) == players:
            raise TypeError(f"SeasonState.{item.name}: a per-player pandas field; take it at rows here too")
    view = dataclasses.replace(state, **changes)
    everyone = np.arange(len(rows))
    return view.feature_rows(games_played, everyone) if features else view.inputs(games_played, everyone)


def _cursor(store: FreeThrowStore) -> tuple[int, int] | None:
    with store.engine.connect() as conn:
        return ledger.last_processed(conn)


def unprocessed_final_games(store: FreeThrowStore, client: ScoresApiClient) -> list[Game]:
    """Final games the API lists after the last game in the ledger (what the sensor polls); one listed
    with a bad field is there as its schedule has it (a run quarantines it, see ``_invalid_listed``)."""
    ledger.ensure_schema(store)
    cursor = _cursor(store)
    bad: list[InvalidListedGame] = []
    games = list(client.final_games_after(cursor[1] if cursor else None, on_invalid=bad.append))
    scheduled = {g.id: g for season in {b.season for b in bad if b.season} for g in client.schedule(season)}
    games += [scheduled[b.game_id] for b in bad if b.game_id in scheduled]
    return sorted(games, key=lambda game: (game.season, game.id))


class _Engine:
    def __init__(
        self,
        store: FreeThrowStore,
        models: Any,
        client: ScoresApiClient,
        report: SyncReport,
        scorer: CountingScorer | None,
        progress: Callable[[str], None] | None,
        retrain_min_new_labels: int | None,
        trainer: Any,
    ) -> None:
        self.store = store
        self.models = models
        self.client = client
        self.report = report
        self.clock = _Clock(report)
        self.fixed_scorer = scorer is not None
        self.scorer = scorer
        self.progress = progress or (lambda message: None)
        self.retrain_min = retrain_min_new_labels  # None: this sync never retrains
        self.trainer = trainer
        self.schedules: dict[int, list[Game]] = {}
        self.listing_problems: dict[int, QuarantinedGame] = {}  # listed with a bad used field: quarantined
        self.numbers: dict[int, dict[int, int]] = {}  # season_numbers of each schedule
        self.state: SeasonState | None = None
        self.pending_retrain = False  # a season's labels completed in the open batch
        self.pending_predictions: list[tuple[CountingScorer, pd.DataFrame]] = []
        self.cache = PredictionCache()
        self.fetcher = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="scores-api")
        self.pending_rows: dict[str, tuple[Any, tuple[str, ...], list[pd.DataFrame]]] = {}
        self.pending_ledger: list[dict] = []  # ledger rows of the open batch (one frame at flush, not one a game)
        # After each game: the feature rows of the players it changed, and every player's inputs, as
        # (state, games_played, population rows, so_far of those rows then); turned into frames at flush.
        self.pending_features: list[tuple[SeasonState, int, np.ndarray, np.ndarray]] = []
        self.pending_points: list[tuple[CountingScorer, SeasonState, int, np.ndarray]] = []

    # -- model ------------------------------------------------------------------------------
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

    # -- schedule ---------------------------------------------------------------------------
    def schedule(self, season: int, refresh: bool = False) -> list[Game]:
        if refresh or season not in self.schedules:
            with self.clock("http"):
                self.schedules[season] = self.client.schedule(season)
            self.numbers.pop(season, None)
        return self.schedules[season]

    def season_numbers(self, season: int) -> dict[int, int]:
        """Regular-season game id (All-Star excluded) -> its 1-based position in id order (kept per
        schedule: computing it for every listed game cost 1.5 s a season).

        A regular-season game the ledger processed keeps its place even when the provider's schedule
        no longer lists it (its counts are stored; renumbering would break every later sync): it is
        quarantined as ``vanished_from_schedule`` and reported, once.
        """
        games = self.schedule(season)
        if season not in self.numbers:
            regular = {
                g.id
                for g in games
                if not g.postseason and not g.all_star and not is_all_star(g.home_team, g.visitor_team)
            }
            processed = ledger.processed_games
            with self.clock("store"), self.store.transaction() as conn:
                numbered = dict(
                    conn.execute(
                        select(processed.c.game_id, processed.c.game_number).where(
                            processed.c.season == season, processed.c.game_number.is_not(None)
                        )
                    ).all()
                )
                vanished = sorted(int(game_id) for game_id in numbered if int(game_id) not in regular)
                for game_id in vanished:
                    self._vanished(conn, season, game_id, int(numbered[game_id]))
            ordered = sorted(regular | set(vanished))
            self.numbers[season] = {game_id: number for number, game_id in enumerate(ordered, start=1)}
        return self.numbers[season]

    def _vanished(self, conn: Connection, season: int, game_id: int, number: int) -> None:
        line = (
            f"game {game_id} (regular-season game {number} of {season_short(season)}) was processed but the "
            f"provider's schedule no longer lists it: its stored counts are kept"
        )
        payload = json.dumps({"season": season, "game_id": game_id, "game_number": number}, sort_keys=True)
        new = ledger.quarantine_game(conn, season=season, game_id=game_id, kind=ledger.VANISHED, reason=line,
                                     payload=payload)  # fmt: skip
        if new:
            self.report.quarantined += new
            self.report.schedule_changes.append(line)
            self.progress(f"quarantined: {line}")

    def season_state(self, season: int) -> SeasonState:
        if self.state is not None and self.state.season == season:
            return self.state
        numbers = self.season_numbers(season)
        with self.clock("store"), self.store.transaction() as conn:
            schedule = tables.free_throw_schedule
            conn.execute(delete(schedule).where(schedule.c.season == season))
            if numbers:
                conn.execute(
                    schedule.insert(),
                    [{"season": season, "game_id": g, "game_number": n} for g, n in numbers.items()],
                )
            processed = ledger.processed_games
            played = conn.execute(
                select(func.coalesce(func.max(processed.c.game_number), 0)).where(processed.c.season == season)
            ).scalar_one()
            self.state = load_state(conn, season, numbers, int(played))
        if self.state.predicted and self.state.games_played == 0:
            self.preseason()
        return self.state

    # -- per game ---------------------------------------------------------------------------
    def preseason(self) -> None:
        """Preseason predictions and feature rows (games_played 0), through the cache like every refresh."""
        state = self.state
        assert state is not None
        scorer = self.ensure_scorer(check_champion=True)
        with self.clock("store"), self.store.transaction() as conn:
            everyone = np.arange(len(state.population))
            self._insert_ignore(conn, tables.free_throw_player_features, state.feature_rows(0, everyone))
            self._predict(conn, scorer, state.inputs(0))
            self.flush(conn)
        self.progress(
            f"{season_short(state.season)}: preseason predictions for {len(state.population)} players "
            f"(model {scorer.version})"
        )

    def _predict(self, conn: Connection, scorer: CountingScorer, inputs: pd.DataFrame) -> None:
        """Queue a refresh; ``flush`` predicts the queued rows in one batch (one cache lookup, one model
        call, one write per batch of games instead of per game)."""
        del conn
        self.pending_predictions.append((scorer, inputs))

    def _insert_ignore(self, conn: Connection, table: Any, frame: pd.DataFrame) -> None:
        """Queue rows for ``table`` (inserted by ``flush``; keys already stored are left alone)."""
        del conn
        self._queue(table, frame)

    def _queue(self, table: Any, frame: pd.DataFrame, updated: tuple[str, ...] = ()) -> None:
        """Rows for ``flush`` to write: inserted, or for a stored key ``updated`` columns replaced."""
        if len(frame):
            self.pending_rows.setdefault(table.name, (table, updated, []))[2].append(frame)

    def flush(self, conn: Connection) -> None:
        """Write what the games of the open transaction queued: count and feature rows, predictions."""
        with self.clock("store"):
            self._frames_of_points()
            if self.pending_ledger:
                rows = pd.DataFrame(self.pending_ledger).astype({"game_number": "Int64"})
                self._queue(ledger.processed_games, rows)
                self.pending_ledger = []
            for table, updated, frames in self.pending_rows.values():
                upsert(conn, table, pd.concat(frames, ignore_index=True), updated)
            self.pending_rows = {}
            while self.pending_predictions:
                scorer = self.pending_predictions[0][0]
                same = [inputs for s, inputs in self.pending_predictions if s is scorer]
                self.pending_predictions = [(s, i) for s, i in self.pending_predictions if s is not scorer]
                refresh = refresh_predictions(conn, scorer, pd.concat(same, ignore_index=True), self.cache)
                self.report.predictions_computed += refresh.computed
                self.report.predictions_reused += refresh.reused
                self.report.seconds["model"] += refresh.model_seconds
                self.report.seconds["store"] -= refresh.model_seconds  # counted inside the store block

    def _frames_of_points(self) -> None:
        """The queued per-game points as frames: one ``SeasonState`` call per season (and scorer)
        for the batch, instead of two pandas frames a game (5 ms a game, 6 s a season)."""
        features, self.pending_features = self.pending_features, []
        for state, group in _runs(features, key=lambda item: item[0]):
            numbers = np.concatenate([np.full(len(rows), number) for _, number, rows, _ in group])
            rows = np.concatenate([rows for _, _, rows, _ in group])
            so_far = np.concatenate([values for _, _, _, values in group], axis=1)
            self._queue(tables.free_throw_player_features, points_frame(state, numbers, rows, so_far, features=True))
        points, self.pending_points = self.pending_points, []
        for (scorer, state), group in _runs(points, key=lambda item: (item[0], item[1])):
            everyone = np.arange(len(state.population))
            numbers = np.repeat([number for _, _, number, _ in group], len(everyone))
            so_far = np.concatenate([values for _, _, _, values in group], axis=1)
            rows = np.tile(everyone, len(group))
            self.pending_predictions.append((scorer, points_frame(state, numbers, rows, so_far, features=False)))

    def fetch(self, game: Game) -> tuple[BoxScore | None, QuarantinedGame | None, str] | GameNotFinal:
        """(box score, None, '') or (None, the quarantine record, its kind); a GameNotFinal is returned
        (so that ``fetch_all`` can stop there); other errors raise. Runs in the fetch threads."""
        if (record := self.listing_problems.pop(game.id, None)) is not None:
            return None, record, "invalid_listing"
        try:
            return self.client.box_score(game.id), None, ""
        except InvalidBoxScore as error:
            return None, error.record, "invalid_box_score"
        except UnknownGame as error:
            return None, QuarantinedGame(game.id, str(error), game.model_dump_json()), "unknown_game"
        except GameNotFinal as error:
            return error

    def fetch_all(self, batch: list[Game]) -> list[tuple]:
        """The batch's box scores, up to the first game not final (``waiting_for``), in order.

        ``FETCH_THREADS`` requests in flight: one at a time, the client waited for the server and the
        server for the client (1,311 box scores took 6 s of a season's sync); the games are still
        processed one by one in order, and a game after one that is not final is dropped unused.
        """
        with self.clock("http"):
            results = list(self.fetcher.map(self.fetch, batch))
        fetched = []
        for game, result in zip(batch, results, strict=True):
            if isinstance(result, GameNotFinal):
                self.report.waiting_for = game.id
                break
            fetched.append((game, *result))
        return fetched

    def process(
        self, game: Game, box: BoxScore | None, problem: QuarantinedGame | None, kind: str, counts: pd.DataFrame | None
    ) -> None:
        """One final game; its plays are already stored (``run`` ingests a batch at once)."""
        state = self.season_state(game.season)
        number = state.game_numbers.get(game.id)
        scorer = self.ensure_scorer() if (number is not None and state.predicted) else None
        with self.clock("store"), self.store.transaction() as conn:
            if box is None:
                assert problem is not None
                self.report.quarantined += ledger.quarantine_game(
                    conn, season=game.season, game_id=game.id, kind=kind, reason=problem.reason, payload=problem.payload
                )
                status, box_hash, attempts, counts = ledger.QUARANTINED, ledger.payload_hash(problem.payload), 0, None
            else:
                status, attempts = ledger.PROCESSED, len(box.plays)
                box_hash = ledger.payload_hash(box.result_dump())
            if number is not None:
                self._regular_game(conn, state, game, number, counts, scorer)
            self.pending_ledger.append({
                "season": game.season, "game_id": game.id, "postseason": game.postseason, "game_number": number,
                "status": status, "box_hash": box_hash, "attempts": attempts, "processed_at": dt.datetime.now(dt.UTC),
                "updated_at": ledger.iso((box.game if box is not None else game).updated_at),
            })  # fmt: skip
        if number is not None:
            state.games_played = number
        self.report.games_processed += 1
        self.report.last_game = game.id
        if number is not None and number == state.scheduled_games and state.predicted:
            self.season_complete(state)

    def _batch_counts(self, conn: Connection, games: list[Game]) -> dict[int, pd.DataFrame]:
        """Per game: per-player made and attempted, from its stored events (what ingest accepted)."""
        events = tables.free_throws
        by_season: dict[int, list[int]] = {}
        for game in games:
            by_season.setdefault(game.season, []).append(game.id)
        frames = []
        for season, ids in by_season.items():
            rows = conn.execute(
                select(events.c.game_id, events.c.player, events.c.shot_made).where(
                    events.c.season_start == season, events.c.game_id.in_(ids), events.c.playoffs == REGULAR
                )
            ).all()
            frames.append(pd.DataFrame(rows, columns=["game_id", PLAYER, "shot_made"]))
        if not frames:
            return {}
        events_frame = pd.concat(frames, ignore_index=True)
        counts = (
            events_frame.groupby(["game_id", PLAYER], sort=True)["shot_made"]
            .agg(made="sum", attempted="size")
            .reset_index()
            .astype({"game_id": "int64", "made": "int64", "attempted": "int64"})
        )
        # Slices of one sorted frame (a groupby into 100 frames cost 0.8 s a season).
        ids = counts["game_id"].to_numpy()
        if not len(ids):
            return {}
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        ends = np.r_[starts[1:], len(ids)]
        per_game = counts[[PLAYER, "made", "attempted"]]
        return {int(ids[a]): per_game.iloc[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}

    def _regular_game(
        self,
        conn: Connection,
        state: SeasonState,
        game: Game,
        number: int,
        counts: pd.DataFrame | None,
        scorer: CountingScorer | None,
    ) -> None:
        if number != state.games_played + 1:
            raise RuntimeError(
                f"game {game.id} is regular-season game {number} of {season_short(state.season)} but "
                f"{state.games_played} are recorded: the ledger and the schedule disagree"
            )
        changed = np.zeros(0, dtype=np.int64)
        if counts is not None and len(counts):
            self._insert_ignore(
                conn,
                tables.free_throw_player_games,
                counts.assign(season=state.season, game_id=game.id, game_number=number),
            )
            changed = state.add_game(counts)
        if not state.predicted:
            return
        if len(changed):  # the rows are built at flush, for the whole batch at once (``points_frame``)
            self.pending_features.append((state, number, changed, state.so_far[:, changed].copy()))
        beaten = changed[(state.so_far[0, changed] > state.last[0, changed]) & ~state.beaten[changed]]
        if len(beaten):
            self._write_labels(conn, state, beaten, beat=1)
            state.beaten[beaten] = True
        assert scorer is not None
        self.pending_points.append((scorer, state, number, state.so_far.copy()))

    def _write_labels(self, conn: Connection, state: SeasonState, rows: np.ndarray, beat: int) -> None:
        labels = tables.free_throw_labels
        frame = pd.DataFrame(
            {
                "season": state.season,
                "player": state.population[rows].astype(str),
                "last_made": state.last[0, rows].astype(np.int64),
                "made": state.so_far[0, rows].astype(np.int64),
                "beat": beat,
            }
        )
        self._queue(labels, frame, updated=("made", "beat"))
        self.report.labels_new += int((~state.labelled[rows]).sum())
        state.labelled[rows] = True

    def season_complete(self, state: SeasonState) -> None:
        """The regular season is over: every label is known (final made counts for all).

        Unless one of its games was quarantined: its free throws are missing, so a "not beaten" may be
        wrong (a beat is right: counts only grow). Those labels are held back and the season is not
        complete for labels or retraining (``ledger.held_back_games``, ``live_metrics.store_progress``).
        """
        with self.clock("store"), self.store.transaction() as conn:
            quarantined = ledger.held_back_games(conn)
            held_back = set(quarantined.get(state.season, []))
            held_back |= {
                row["game_id"] for row in self.pending_ledger
                if row["season"] == state.season and row["status"] == ledger.QUARANTINED
                and row["game_number"] is not None
            }  # fmt: skip
            if not held_back:
                self._write_labels(conn, state, np.flatnonzero(~state.beaten), beat=0)
            self._write_labels(conn, state, np.flatnonzero(state.beaten), beat=1)  # final made counts
        if held_back:
            self.report.held_back[state.season] = sorted(held_back)
            self.progress(
                f"{season_short(state.season)}: regular season over, but {len(held_back)} of its games are "
                f"quarantined ({', '.join(map(str, sorted(held_back)))}): {int((~state.beaten).sum())} "
                "'not beaten' labels held back and the season is not used for retraining"
            )
        else:
            self.progress(
                f"{season_short(state.season)}: regular season complete, {len(state.population)} labels "
                f"({int(state.beaten.sum())} beaten)"
            )
        if quarantined.get(state.season - 1):  # last season's counts are this season's bar
            self.progress(
                f"{season_short(state.season)}: its labels compare with {season_short(state.season - 1)}, which has "
                "quarantined games: the season is not used for retraining"
            )
        self.pending_retrain = True  # after the batch commits: retraining reads the store

    def maybe_retrain(self) -> None:
        """Retrain when the store says it is due: the newest complete season with labels the champion
        has not trained on, at least ``retrain_min`` of them, and no retraining judged on it yet (the
        attempt is recorded after it ends, so a sync killed during it retrains when it restarts, and a
        challenger the gate rejected is not trained again for the same labels)."""
        from shot_platform.free_throws.flow.retrain import retrain_score_beater
        from shot_platform.free_throws.retraining import new_labels

        if self.models is None or self.retrain_min is None:
            return
        with self.clock("model"):
            due = new_labels(self.store, self.models)
        judge = due.judge_season
        if judge is None:
            return
        with self.store.engine.connect() as conn:
            if ledger.retrain_attempted(conn, judge) is not None:
                return
        if due.count < self.retrain_min:
            self.progress(f"no retraining: {due.count} new labelled player-seasons, fewer than {self.retrain_min}")
            return
        self.progress(f"retraining score_beater on {due.describe()} ...")
        outcome = retrain_score_beater(self.store, self.models, judge_season=judge, trainer=self.trainer, resume=True)
        with self.store.transaction() as conn:
            ledger.record_retrain_attempt(conn, judge, json.dumps(outcome, sort_keys=True, default=str))
        self.report.retrained.append(outcome)
        self.progress(f"retraining: {outcome.get('reason', outcome)}")
        if not self.fixed_scorer:
            self.ensure_scorer(check_champion=True)

    # -- the loop ---------------------------------------------------------------------------
    def expected_next(self, cursor: tuple[int, int] | None, first: Game) -> Game | None:
        """The game that must come next after ``cursor``: the next one of the API's schedule."""
        if cursor is None:
            return None  # nothing processed yet: the API's first final game starts the ledger
        season, game_id = cursor
        for candidate_season in (season, season + 1):
            if candidate_season > first.season:
                break
            for game in self.schedule(candidate_season):
                if (candidate_season, game.id) > (season, game_id):
                    return game
        return None

    def run(self, max_games: int | None) -> None:
        self.maybe_retrain()  # due from an earlier sync that ended (or was killed) before it finished
        while max_games is None or self.report.games_processed < max_games:
            left = BATCH_GAMES if max_games is None else min(BATCH_GAMES, max_games - self.report.games_processed)
            batch = self.next_batch(_cursor(self.store), left)
            if not batch:
                return
            fetched = self.fetch_all(batch)
            # One frame for the batch's plays, built column by column (a frame per game cost 2 s a season).
            plays = [play for _, box, _, _ in fetched if box is not None for play in box.plays]
            source = f"scores-api games {fetched[0][0].id}..{fetched[-1][0].id}" if fetched else ""
            batch_plays = (
                pd.DataFrame({column: [getattr(play, column) for play in plays] for column in FREE_THROW_COLUMNS})
                if plays
                else None
            )
            try:
                self.process_batch(fetched, batch_plays, source)
            except BaseException:
                self.pending_retrain = False
                self.state = None  # the transaction rolled back: reload the counts from the store
                self.cache.clear()  # ... and what the cache believed was stored
                self.pending_predictions, self.pending_rows, self.pending_ledger = [], {}, []
                self.pending_features, self.pending_points = [], []
                raise
            if self.pending_retrain:
                self.pending_retrain = False
                self.maybe_retrain()
            if self.report.waiting_for is not None or len(fetched) < len(batch):
                return

    def process_batch(self, fetched: list[tuple], plays: pd.DataFrame | None, source: str) -> None:
        """A batch of games in ONE transaction: their events, counts, features, labels, predictions
        and ledger rows commit together (one commit per batch, not per game: a commit costs a few
        ms of fsync). A sync killed midway loses the batch entirely, and the next one redoes it."""
        with self.store.transaction() as conn:
            with self.clock("store"):
                if plays is not None:
                    # The one free-throw ingest path, on the plays of the whole batch at once: validating
                    # 40 rows costs about as much as 4,000 (pandas overhead), so per game it cost ~100 ms.
                    ingest = ingest_free_throw_frame(self.store, plays, source)
                    self.report.rows_inserted += ingest.inserted
                    self.report.quarantined += ingest.quarantined_new
                counts = self._batch_counts(conn, [game for game, box, _, _ in fetched if box is not None])
            for game, box, problem, kind in fetched:
                self.process(game, box, problem, kind, counts.get(game.id, _NO_COUNTS) if box else None)
                if self.report.games_processed % PROGRESS_EVERY == 0:
                    self.progress(
                        f"{self.report.games_processed} games processed (last {game.id}, {season_short(game.season)})"
                    )
            self.flush(conn)
            committing = time.perf_counter()
        self.report.seconds["store"] += time.perf_counter() - committing

    def next_batch(self, cursor: tuple[int, int] | None, limit: int) -> list[Game]:
        """The next final games in order, each the schedule's next game (never one skipped).

        When the listing jumps over a game, that game is asked for directly: if it is final it
        comes next, otherwise the sync waits for it (``waiting_for``). A listed game that the
        season's schedule does not know is quarantined and recorded on its own.
        """
        batch: list[Game] = []
        listing = self._listing(cursor)
        if listing is None:
            return batch
        previous = cursor
        for listed in listing:
            if len(batch) >= limit:
                break
            if not self._scheduled(listed):
                if not batch:
                    self._unknown(listed)
                    previous = (listed.season, listed.id)
                    continue
                break
            expected = self.expected_next(previous, listed)
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
            if self._last_regular(listed):
                break  # labels complete: retraining (if due) comes before any later game
        return batch

    def _last_regular(self, game: Game) -> bool:
        numbers = self.season_numbers(game.season)
        return numbers.get(game.id) == len(numbers)

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
                return games or self._invalid_listed(bad)
            except MalformedResponse as error:
                if attempt + 1 == LISTING_ATTEMPTS:
                    self.report.problems.append(f"{error}; sync again later (nothing was skipped)")
                    return None
                time.sleep(0.2 * (attempt + 1))
        return None

    def _invalid_listed(self, bad: InvalidListedGame) -> list[Game] | None:
        """A listed game with a bad field the flow uses: processed as quarantined in its schedule's place."""
        scheduled = [g for g in self.schedule(bad.season) if g.id == bad.game_id] if bad.season else []
        if not scheduled:
            self.report.problems.append(f"{bad}; not in a schedule, so it cannot be quarantined in its place: "
                                        f"ask the provider to fix game {bad.game_id}, then sync again")  # fmt: skip
            return None
        self.listing_problems[bad.game_id] = bad.record
        return scheduled

    def _scheduled(self, game: Game) -> bool:
        """Whether the season's schedule lists the game (asked again once: schedules change)."""
        if any(g.id == game.id for g in self.schedule(game.season)):
            return True
        return any(g.id == game.id for g in self.schedule(game.season, refresh=True))

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

    def full_refeed(self) -> None:
        """Delete the champion's predictions (the cache) and predict every processed point again."""
        scorer = self.ensure_scorer()
        with self.clock("store"), self.store.transaction() as conn:
            deleted = delete_version(conn, scorer.version)
            self.cache.clear()
            processed = ledger.processed_games
            points = conn.execute(
                select(processed.c.season, func.max(processed.c.game_number))
                .where(processed.c.game_number.is_not(None))
                .group_by(processed.c.season)
                .order_by(processed.c.season)
            ).all()
        self.progress(f"full refeed: {deleted} cached predictions of model {scorer.version} deleted")
        for season, last in points:
            self.state = None
            state = self.season_state(int(season))  # writes the preseason predictions again
            if not state.predicted:
                continue
            with self.clock("store"), self.store.transaction() as conn:
                state = load_state(conn, int(season), state.game_numbers, 0)
                games = tables.free_throw_player_games
                per_game = pd.DataFrame(
                    conn.execute(
                        select(games.c.game_number, games.c.player, games.c.made, games.c.attempted).where(
                            games.c.season == int(season)
                        )
                    ).all(),
                    columns=["game_number", PLAYER, "made", "attempted"],
                )
                by_game = dict(tuple(per_game.groupby("game_number")))
                frames = []
                for number in range(0, int(last) + 1):  # 0: the preseason predictions
                    if number in by_game:
                        state.add_game(by_game[number])
                    frames.append(state.inputs(number))
                if frames:
                    self._predict(conn, scorer, pd.concat(frames, ignore_index=True))
                    self.flush(conn)
            self.state = None
        self.progress(f"full refeed: {self.report.predictions_computed} predictions computed again")


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
    report = SyncReport()
    threshold = retrain_threshold(retrain_min_new_labels) if retrain else None
    with sync_lock(store.engine):
        store.create_schema()
        ledger.ensure_schema(store)
        engine = _Engine(store, models, client, report, scorer, progress, threshold, trainer)
        _sync(engine, store, client, report, scorer, models, full_refeed, max_games, progress)
    return report


def _sync(
    engine: _Engine,
    store: FreeThrowStore,
    client: ScoresApiClient,
    report: SyncReport,
    scorer: CountingScorer | None,
    models: Any,
    full_refeed: bool,
    max_games: int | None,
    progress: Callable[[str], None] | None,
) -> None:
    try:
        if scorer is None and models is not None and models.champion_version() is None:
            raise NoModelError(
                "no score_beater model yet: train one (`shot-platform materialize --select group:free_throws`) or "
                "promote a version (`shot-platform models promote --model score_beater N`), then sync again"
            )
        if full_refeed:
            engine.full_refeed()
        engine.run(max_games)
        with engine.clock("http"):  # mostly the feed's requests; a changed game costs a box score and a write
            found = check_corrections(store, client, progress)
        report.quarantined += found.quarantined
        report.corrections += found.corrected
        if found.problem:
            report.problems.append(found.problem)
        if found.skipped and progress is not None:
            progress(f"corrections not checked: {found.skipped}")
    finally:
        engine.fetcher.shutdown(cancel_futures=True)
        engine.clock.finish()


__all__ = [
    "SyncReport",
    "SyncRunning",
    "retrain_threshold",
    "sync_free_throws",
    "unprocessed_final_games",
]
