"""Reads and writes of the free-throw tables. Same code on SQLite and PostgreSQL (bulk: COPY)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator

import pandas as pd
from sqlalchemy import Connection, Engine, Table, delete, func, select

from shot_platform.core.bulk import insert_new_rows, records
from shot_platform.core.database import chunks, create_store_engine, dialect_insert
from shot_platform.core.ingest import quarantine as core_quarantine
from shot_platform.core.schema_migrations import upgrade
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.store import tables

ANALYZE_AFTER_ROWS = 10_000
DOMAIN_NAME = "free_throws"  # the domain's name (free_throws/domain.py): its records in the shared quarantine


class FreeThrowStore:
    """Free-throw events, quarantine, counts, point-in-time features, labels and predictions."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine: Engine = engine or create_store_engine(url)
        self._local = threading.local()  # the connection of this thread's open transaction(), if any

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several calls: every read and write of this store made by this thread
        inside the block uses it, so they commit together or not at all (the sync engine records a
        game in its ledger in the same transaction as the game's events). Nested blocks join it."""
        current = getattr(self._local, "connection", None)
        if current is not None:
            yield current
            return
        with self.engine.begin() as conn:
            self._local.connection = conn
            try:
                yield conn
            finally:
                self._local.connection = None

    def _begin(self) -> contextlib.AbstractContextManager[Connection]:
        current = getattr(self._local, "connection", None)
        return contextlib.nullcontext(current) if current is not None else self.engine.begin()

    def _connect(self) -> contextlib.AbstractContextManager[Connection]:
        current = getattr(self._local, "connection", None)
        return contextlib.nullcontext(current) if current is not None else self.engine.connect()

    def create_schema(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- events --------------------------------------------------------------
    def stored_hashes(self, game_ids: Iterable[int]) -> pd.DataFrame:
        """(season_start, game_id, attempt, row_hash) of the stored rows of these game_ids (any season)."""
        events = tables.free_throws
        columns = ["season_start", "game_id", "attempt", "row_hash"]
        parts = [pd.DataFrame(columns=columns)]
        ids = sorted({int(g) for g in game_ids})
        with self._connect() as conn:
            for start in range(0, len(ids), 500):
                query = select(*(events.c[name] for name in columns)).where(
                    events.c.game_id.in_(ids[start : start + 500])
                )
                parts.append(pd.DataFrame(conn.execute(query).all(), columns=columns))
        stored = pd.concat(parts, ignore_index=True)
        return stored.astype({"season_start": "int64", "game_id": "int64", "attempt": "int64"})

    def insert_events(self, rows: pd.DataFrame, progress: Callable[[int, int], None] | None = None) -> int:
        """Insert typed rows (file columns + season_start, attempt, row_hash, source); stored keys are skipped."""
        columns = [c.name for c in tables.free_throws.columns if c.name not in ("id", "ingested_at")]
        frame = rows[columns].assign(ingested_at=dt.datetime.now(dt.UTC))
        with self._begin() as conn:
            inserted = insert_new_rows(
                conn, tables.free_throws, frame, ["season_start", "game_id", "attempt"], progress=progress
            )
        if inserted >= ANALYZE_AFTER_ROWS and self.engine.dialect.name == "postgresql":
            with self._begin() as conn:
                conn.exec_driver_sql("ANALYZE free_throws")
        return inserted

    def load_events(self, columns: tuple[str, ...] = FREE_THROW_COLUMNS) -> pd.DataFrame:
        """Stored attempts with the file's columns (typed), in key order."""
        events = tables.free_throws
        query = select(*(events.c[name] for name in columns)).order_by(
            events.c.season_start, events.c.game_id, events.c.attempt
        )
        with self._connect() as conn:
            return pd.read_sql(query, conn)

    def summary(self) -> dict:
        events = tables.free_throws
        query = select(
            func.count(),
            func.count(func.distinct(events.c.game_id)),
            func.count(func.distinct(events.c.player)),
            func.min(events.c.season_start),
            func.max(events.c.season_start),
            func.coalesce(func.max(events.c.id), 0),
        )
        with self._connect() as conn:
            rows, games, players, first, last, max_id = conn.execute(query).one()
            quarantined = core_quarantine.count(conn, DOMAIN_NAME, [core_quarantine.ROW])
        return {
            "rows": int(rows),
            "games": int(games),
            "players": int(players),
            "first_season": int(first) if first is not None else None,
            "last_season": int(last) if last is not None else None,
            "max_id": int(max_id),
            "quarantined": int(quarantined),
        }

    # -- quarantine ----------------------------------------------------------
    def quarantine(self, rows: pd.DataFrame) -> int:
        """Keep rejected rows (row_hash, source, line, reason, raw); returns how many were new."""
        with self._begin() as conn:
            return core_quarantine.add_rows(conn, DOMAIN_NAME, rows)

    def load_quarantine(self, kinds: tuple[str, ...] | None = (core_quarantine.ROW,)) -> pd.DataFrame:
        """The domain's quarantined records: the refused rows of files and bodies by default."""
        with self._connect() as conn:
            return core_quarantine.load(conn, DOMAIN_NAME, kinds)

    # -- derived tables (rebuilt whole by their assets) -----------------------
    def replace(self, replacements: dict[Table, pd.DataFrame]) -> None:
        """Swap in rebuilt tables in one transaction (COPY on PostgreSQL)."""
        with self._begin() as conn:
            for table, frame in replacements.items():
                conn.execute(delete(table))
                key = [column.name for column in table.primary_key.columns]
                insert_new_rows(conn, table, frame[[column.name for column in table.columns]], key)

    def load(self, table: Table) -> pd.DataFrame:
        with self._connect() as conn:
            return pd.read_sql(select(table).order_by(*table.primary_key.columns), conn)

    def latest_games(self) -> dict[int, int]:
        """Per season, the game_number of the latest regular-season game with counts."""
        games = tables.free_throw_player_games
        query = select(games.c.season, func.max(games.c.game_number)).group_by(games.c.season)
        with self._connect() as conn:
            return {int(season): int(number) for season, number in conn.execute(query).all()}

    # -- predictions ---------------------------------------------------------
    def upsert_predictions(self, frame: pd.DataFrame) -> int:
        """Write (season, player, games_played, model_version, input_hash, probability) rows."""
        if frame.empty:
            return 0
        table = tables.score_beater_predictions
        rows = frame.assign(made_at=dt.datetime.now(dt.UTC))[[column.name for column in table.columns]]
        statement = dialect_insert(self.engine, table)
        statement = statement.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={name: statement.excluded[name] for name in ("input_hash", "probability", "made_at")},
        )
        with self._begin() as conn:
            for chunk in chunks(records(rows)):
                conn.execute(statement, chunk)
        return len(rows)

    def load_predictions(self, model_version: str | None = None) -> pd.DataFrame:
        table = tables.score_beater_predictions
        query = select(table).order_by(*table.primary_key.columns)
        if model_version is not None:
            query = query.where(table.c.model_version == model_version)
        with self._connect() as conn:
            return pd.read_sql(query, conn)
