"""Table definitions of the store, shared by SQLite and PostgreSQL.

Shot-log columns keep their Kaggle names, lower-cased so that plain SQL works on
PostgreSQL without quoting.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shot_platform.core.table_columns import key, required
from shot_platform.shots.features.player import COUNT_COLUMNS, RATE_COLUMNS

metadata = MetaData()

shots = Table(
    "shots",
    metadata,
    # Monotonic arrival order: the retraining sensor's watermark.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("game_id", BigInteger, nullable=False),
    Column("player_id", BigInteger, nullable=False),
    Column("shot_number", Integer, nullable=False),
    Column("matchup", String(64), nullable=False),
    Column("location", String(1), nullable=False),
    Column("w", String(1)),
    Column("final_margin", Integer),
    Column("period", Integer, nullable=False),
    Column("game_clock", String(8), nullable=False),
    Column("shot_clock", Float),
    Column("dribbles", Integer, nullable=False),
    Column("touch_time", Float, nullable=False),
    Column("shot_dist", Float, nullable=False),
    Column("pts_type", Integer, nullable=False),
    Column("shot_result", String(8), nullable=False),
    Column("closest_defender", String(64)),
    Column("closest_defender_player_id", BigInteger, nullable=False),
    Column("close_def_dist", Float, nullable=False),
    Column("fgm", Integer, nullable=False),
    Column("pts", Integer, nullable=False),
    Column("player_name", String(64)),
    # Derived at ingest (see shot_platform.shots.ingest.cleaning).
    Column("game_date", Date, nullable=False),
    Column("team", String(4), nullable=False),
    Column("opponent", String(4), nullable=False),
    Column("game_clock_s", Float, nullable=False),
    Column("shot_dist_raw", Float, nullable=False),
    Column("touch_time_raw", Float, nullable=False),
    Column("cleaning_notes", String(128), nullable=False, default=""),
    Column("row_hash", String(16), nullable=False),
    Column("source", String(256), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("game_id", "player_id", "shot_number", name="uq_shots_key"),
    Index("ix_shots_game_date", "game_date"),
)


def _history_columns() -> list[Column]:
    return [*required(Integer, *COUNT_COLUMNS, "att_all"), *required(Float, *RATE_COLUMNS)]


# Per role (shooter, defender, league) and player: the features at each date they changed, and the latest.
player_feature_history = Table(
    "player_feature_history",
    metadata,
    *key(("role", String(16)), ("player_id", BigInteger), ("through_date", Date)),
    *_history_columns(),
)

player_profiles = Table(
    "player_profiles",
    metadata,
    *key(("role", String(16)), ("player_id", BigInteger)),
    Column("through_date", Date, nullable=False),
    *_history_columns(),
)

shot_predictions = Table(
    "shot_predictions",
    metadata,
    Column("game_id", BigInteger, primary_key=True),
    Column("player_id", BigInteger, primary_key=True),
    Column("shot_number", Integer, primary_key=True),
    Column("model_version", String(64), nullable=False),
    Column("feature_hash", String(16), nullable=False),
    Column("make_probability", Float, nullable=False),
    Column("predicted_at", DateTime(timezone=True), nullable=False),
)

prediction_requests = Table(
    "prediction_requests",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("make_probability", Float, nullable=False),
    # Optional shot key: lets ground truth be joined to what was served.
    Column("game_id", BigInteger),
    Column("player_id", BigInteger, nullable=False),
    Column("shot_number", Integer),
    Column("closest_defender_player_id", BigInteger, nullable=False),
    Column("inputs", Text, nullable=False),
    Index("ix_prediction_requests_shot", "game_id", "player_id", "shot_number"),
)
