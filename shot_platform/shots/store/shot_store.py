"""Reads and writes of the shot store. Same code on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, Float, Integer, Table, delete, func, select

from shot_platform.core.bulk import insert_new_rows, records
from shot_platform.core.database import chunks, create_store_engine, dialect_insert
from shot_platform.core.ingest import quarantine as core_quarantine
from shot_platform.core.schema_migrations import upgrade
from shot_platform.shots.schema import SHOT_LOG_COLUMNS
from shot_platform.shots.store import tables

DERIVED_COLUMNS: tuple[str, ...] = (
    "game_date",
    "team",
    "opponent",
    "game_clock_s",
    "shot_dist_raw",
    "touch_time_raw",
    "cleaning_notes",
    "row_hash",
    "source",
)
INTEGER_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in tables.shots.columns if column.name != "id" and isinstance(column.type, Integer)
)
FLOAT_COLUMNS: tuple[str, ...] = tuple(column.name for column in tables.shots.columns if isinstance(column.type, Float))
ANALYZE_AFTER_ROWS = 10_000
SHOT_KEY_COLUMNS = ("game_id", "player_id", "shot_number")
DOMAIN_NAME = "shots"  # the domain's name (shots/domain.py): its records in the shared quarantine


class ShotStore:
    """The platform's relational store of shots, quarantine, features and predictions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_store_engine(url)

    def create_schema(self) -> None:
        upgrade(self.engine)

    # -- shots ---------------------------------------------------------------
    def stored_hashes(self, keys: pd.DataFrame) -> pd.DataFrame:
        """(game_id, player_id, shot_number, row_hash) already stored for these games."""
        game_ids = sorted({int(g) for g in keys["game_id"]})
        parts = []
        shots = tables.shots
        with self.engine.connect() as conn:
            for start in range(0, len(game_ids), 500):
                query = select(shots.c.game_id, shots.c.player_id, shots.c.shot_number, shots.c.row_hash).where(
                    shots.c.game_id.in_(game_ids[start : start + 500])
                )
                parts.append(
                    pd.DataFrame(conn.execute(query).all(), columns=["game_id", "player_id", "shot_number", "row_hash"])
                )
        if not parts:
            return pd.DataFrame(columns=["game_id", "player_id", "shot_number", "row_hash"])
        return pd.concat(parts, ignore_index=True)

    def insert_shots(self, rows: pd.DataFrame, progress: Callable[[int, int], None] | None = None) -> int:
        """Insert cleaned rows (Kaggle names + derived columns); existing keys are skipped."""
        frame = rows[list(SHOT_LOG_COLUMNS) + list(DERIVED_COLUMNS)].rename(columns=str.lower)
        # Typed values, not the file's text: PostgreSQL refuses '18.0' for an integer column.
        typed = {name: pd.to_numeric(frame[name], errors="coerce").astype("Int64") for name in INTEGER_COLUMNS}
        typed |= {name: pd.to_numeric(frame[name], errors="coerce").astype(float) for name in FLOAT_COLUMNS}
        frame = frame.assign(**typed)
        frame = frame.assign(
            game_date=pd.to_datetime(frame["game_date"]).dt.date,
            ingested_at=dt.datetime.now(dt.UTC),
        )
        with self.engine.begin() as conn:
            inserted = insert_new_rows(conn, tables.shots, frame, SHOT_KEY_COLUMNS, progress=progress)
        if inserted >= ANALYZE_AFTER_ROWS and self.engine.dialect.name == "postgresql":
            # Fresh statistics keep the sensor's `id > watermark` count an index-only scan.
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE shots")
        return inserted

    def load_shots(self, since_id: int = 0) -> pd.DataFrame:
        """Stored shots with Kaggle column names plus the derived ones, in arrival order."""
        query = select(tables.shots).where(tables.shots.c.id > since_id).order_by(tables.shots.c.id)
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        rename = {name.lower(): name for name in SHOT_LOG_COLUMNS}
        frame = frame.rename(columns=rename)
        frame["game_date"] = pd.to_datetime(frame["game_date"])
        return frame

    def count_shots_after(self, shot_id: int) -> tuple[int, int]:
        """(shots stored after ``shot_id``, newest id): a range scan of the primary key, not a table scan."""
        shots = tables.shots
        query = select(func.count(), func.coalesce(func.max(shots.c.id), shot_id)).where(shots.c.id > shot_id)
        with self.engine.connect() as conn:
            count, latest = conn.execute(query).one()
        return int(count), int(latest)

    def shot_summary(self) -> dict:
        shots = tables.shots
        query = select(
            func.count(),
            func.count(func.distinct(shots.c.game_id)),
            func.min(shots.c.game_date),
            func.max(shots.c.game_date),
            func.coalesce(func.max(shots.c.id), 0),
        )
        with self.engine.connect() as conn:
            rows, games, first, last, max_id = conn.execute(query).one()
            quarantined = core_quarantine.count(conn, DOMAIN_NAME)
        return {
            "rows": int(rows),
            "games": int(games),
            "first_date": str(first) if first else None,
            "last_date": str(last) if last else None,
            "max_id": int(max_id),
            "quarantined": int(quarantined),
        }

    # -- quarantine ----------------------------------------------------------
    def quarantine(self, rows: pd.DataFrame) -> int:
        """Keep rejected rows (row_hash, source, line, reason, raw); returns how many were new."""
        with self.engine.begin() as conn:
            return core_quarantine.add_rows(conn, DOMAIN_NAME, rows)

    def load_quarantine(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return core_quarantine.load(conn, DOMAIN_NAME)

    # -- player features -----------------------------------------------------
    def replace_player_features(self, history: pd.DataFrame, profiles: pd.DataFrame) -> None:
        """Swap in a rebuilt history and profile table in one transaction."""
        with self.engine.begin() as conn:
            for table, frame in ((tables.player_feature_history, history), (tables.player_profiles, profiles)):
                conn.execute(delete(table))
                rows = records(frame.assign(through_date=pd.to_datetime(frame["through_date"]).dt.date))
                for chunk in chunks(rows):
                    conn.execute(table.insert(), chunk)

    def _load_features(self, table: Table) -> pd.DataFrame:
        with self.engine.connect() as conn:
            frame = pd.read_sql(select(table), conn)
        frame["through_date"] = pd.to_datetime(frame["through_date"])
        return frame

    def load_player_history(self) -> pd.DataFrame:
        return self._load_features(tables.player_feature_history)

    def load_player_profiles(self) -> pd.DataFrame:
        return self._load_features(tables.player_profiles)

    def profiles_marker(self) -> tuple:
        """A cheap fingerprint of the profile table: changes whenever player_features is rebuilt."""
        profiles = tables.player_profiles
        query = select(func.count(), func.max(profiles.c.through_date), func.sum(profiles.c.att_all))
        with self.engine.connect() as conn:
            count, latest, attempts = conn.execute(query).one()
        return (int(count), str(latest), int(attempts or 0))

    # -- served requests -----------------------------------------------------
    def insert_request_log(self, rows: list[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(tables.prediction_requests.insert(), rows)

    def load_request_log(self, keyed_only: bool = False) -> pd.DataFrame:
        """Served predictions; ``keyed_only``: just those with a shot key, without their inputs."""
        log = tables.prediction_requests
        query = select(log).order_by(log.c.id)
        if keyed_only:
            columns = (log.c.id, log.c.model_version, log.c.make_probability, log.c.game_id)
            query = (
                select(*columns, log.c.player_id, log.c.shot_number)
                .where(log.c.game_id.is_not(None), log.c.shot_number.is_not(None))
                .order_by(log.c.id)
            )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    # -- predictions ---------------------------------------------------------
    def load_predictions(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(tables.shot_predictions), conn)

    def upsert_predictions(self, frame: pd.DataFrame) -> int:
        """Write (game_id, player_id, shot_number, model_version, feature_hash, make_probability)."""
        if frame.empty:
            return 0
        rows = frame.assign(predicted_at=dt.datetime.now(dt.UTC))
        statement = dialect_insert(self.engine, tables.shot_predictions)
        statement = statement.on_conflict_do_update(
            index_elements=["game_id", "player_id", "shot_number"],
            set_={
                name: statement.excluded[name]
                for name in ("model_version", "feature_hash", "make_probability", "predicted_at")
            },
        )
        with self.engine.begin() as conn:
            for chunk in chunks(records(rows)):
                conn.execute(statement, chunk)
        return len(rows)

    def dispose(self) -> None:
        self.engine.dispose()
