"""The schema of every table as the platform created it before migrations (release 0.1.0).

Idempotent, so it also adopts a store that an earlier release made with ``create_all``: a missing table
is created, a missing nullable column added (the ledger's ``updated_at`` came late), a missing index
built; what exists is left as it is, rows included.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_table(name: str, *elements: sa.Column | sa.Constraint) -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(name):
        op.create_table(name, *elements)
        return
    present = {column["name"] for column in inspector.get_columns(name)}
    for column in elements:
        if isinstance(column, sa.Column) and column.name not in present:
            if not column.nullable:
                raise RuntimeError(f"table {name} lacks the required column {column.name}: restore it from a backup")
            op.add_column(name, column)


def _create_index(name: str, table: str, columns: list[str], unique: bool = False) -> None:
    if name not in {index["name"] for index in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, columns, unique=unique)


def _id() -> sa.Column:
    """A surrogate key: BIGINT, but INTEGER on SQLite, whose only auto-incrementing key is an INTEGER one."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False)


def _required(column_type: sa.types.TypeEngine, names: str) -> list[sa.Column]:
    """A NOT NULL column of ``column_type`` for each of the space-separated ``names``, in that order."""
    return [sa.Column(name, column_type, nullable=False) for name in names.split()]


def _shooting_profile(name: str, *primary_key: str) -> None:
    """A table of players' attempts, makes and rates by zone, as shooter or as defender (history and profiles)."""
    _create_table(
        name,
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("through_date", sa.Date(), nullable=False),
        *_required(sa.Integer(), "att_rim made_rim att_paint made_paint att_mid made_mid att_three made_three att_all"),
        *_required(sa.Float(), "rate_rim rate_paint rate_mid rate_three rate_all"),
        sa.PrimaryKeyConstraint(*primary_key),
    )


def _row_quarantine(name: str) -> None:
    """A table of the file rows refused at ingest (shots and free throws keep the same record of one)."""
    _create_table(
        name,
        _id(),
        *_required(sa.String(length=16), "row_hash"),
        *_required(sa.String(length=256), "source"),
        sa.Column("line", sa.Integer(), nullable=True),
        *_required(sa.Text(), "reason raw"),
        *_required(sa.DateTime(timezone=True), "quarantined_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("row_hash"),
    )


def _ingest_lineage() -> list[sa.Column]:
    """Where an ingested row came from and when: the last columns of ``shots`` and ``free_throws``."""
    return [
        *_required(sa.String(length=16), "row_hash"),
        *_required(sa.String(length=256), "source"),
        *_required(sa.DateTime(timezone=True), "ingested_at"),
    ]


def upgrade() -> None:
    _shooting_profile("player_feature_history", "role", "player_id", "through_date")
    _shooting_profile("player_profiles", "role", "player_id")
    _create_table(
        "prediction_requests",
        _id(),
        *_required(sa.String(length=64), "request_id"),
        *_required(sa.DateTime(timezone=True), "requested_at"),
        *_required(sa.String(length=64), "model_version"),
        *_required(sa.Float(), "make_probability"),
        sa.Column("game_id", sa.BigInteger(), nullable=True),
        *_required(sa.BigInteger(), "player_id"),
        sa.Column("shot_number", sa.Integer(), nullable=True),
        *_required(sa.BigInteger(), "closest_defender_player_id"),
        *_required(sa.Text(), "inputs"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index(
        "ix_prediction_requests_shot", "prediction_requests", ["game_id", "player_id", "shot_number"], unique=False
    )
    _create_table(
        "shot_predictions",
        *_required(sa.BigInteger(), "game_id player_id"),
        *_required(sa.Integer(), "shot_number"),
        *_required(sa.String(length=64), "model_version"),
        *_required(sa.String(length=16), "feature_hash"),
        *_required(sa.Float(), "make_probability"),
        *_required(sa.DateTime(timezone=True), "predicted_at"),
        sa.PrimaryKeyConstraint("game_id", "player_id", "shot_number"),
    )
    _create_table(
        "shots",
        _id(),
        *_required(sa.BigInteger(), "game_id player_id"),
        *_required(sa.Integer(), "shot_number"),
        *_required(sa.String(length=64), "matchup"),
        *_required(sa.String(length=1), "location"),
        sa.Column("w", sa.String(length=1), nullable=True),
        sa.Column("final_margin", sa.Integer(), nullable=True),
        *_required(sa.Integer(), "period"),
        *_required(sa.String(length=8), "game_clock"),
        sa.Column("shot_clock", sa.Float(), nullable=True),
        *_required(sa.Integer(), "dribbles"),
        *_required(sa.Float(), "touch_time shot_dist"),
        *_required(sa.Integer(), "pts_type"),
        *_required(sa.String(length=8), "shot_result"),
        sa.Column("closest_defender", sa.String(length=64), nullable=True),
        *_required(sa.BigInteger(), "closest_defender_player_id"),
        *_required(sa.Float(), "close_def_dist"),
        *_required(sa.Integer(), "fgm pts"),
        sa.Column("player_name", sa.String(length=64), nullable=True),
        *_required(sa.Date(), "game_date"),
        *_required(sa.String(length=4), "team opponent"),
        *_required(sa.Float(), "game_clock_s shot_dist_raw touch_time_raw"),
        *_required(sa.String(length=128), "cleaning_notes"),
        *_ingest_lineage(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "player_id", "shot_number", name="uq_shots_key"),
    )
    _create_index("ix_shots_game_date", "shots", ["game_date"], unique=False)
    _row_quarantine("shots_quarantine")
    _create_table(
        "free_throw_flow_state",
        *_required(sa.String(length=64), "name"),
        *_required(sa.Text(), "value"),
        sa.PrimaryKeyConstraint("name"),
    )
    _create_table(
        "free_throw_game_quarantine",
        _id(),
        sa.Column("season", sa.Integer(), nullable=True),
        *_required(sa.BigInteger(), "game_id"),
        *_required(sa.String(length=32), "kind"),
        *_required(sa.Text(), "reason"),
        *_required(sa.String(length=64), "payload_hash"),
        *_required(sa.Text(), "payload"),
        *_required(sa.DateTime(timezone=True), "quarantined_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payload_hash"),
    )
    _create_table(
        "free_throw_labels",
        *_required(sa.Integer(), "season"),
        *_required(sa.String(length=64), "player"),
        *_required(sa.Integer(), "last_made made beat"),
        sa.PrimaryKeyConstraint("season", "player"),
    )
    _create_table(
        "free_throw_player_features",
        *_required(sa.Integer(), "season"),
        *_required(sa.String(length=64), "player"),
        *_required(sa.Integer(), "games_played last_made last_attempted last_games last_scheduled_games"),
        *_required(
            sa.Integer(), "before_last_made before_last_attempted before_last_games before_last_scheduled_games"
        ),
        *_required(sa.Integer(), "made attempted games scheduled_games"),
        sa.PrimaryKeyConstraint("season", "player", "games_played"),
    )
    _create_table(
        "free_throw_player_games",
        *_required(sa.Integer(), "season"),
        *_required(sa.BigInteger(), "game_id"),
        *_required(sa.String(length=64), "player"),
        *_required(sa.Integer(), "game_number made attempted"),
        sa.PrimaryKeyConstraint("season", "game_id", "player"),
    )
    _create_table(
        "free_throw_processed_games",
        *_required(sa.Integer(), "season"),
        *_required(sa.BigInteger(), "game_id"),
        *_required(sa.Boolean(), "postseason"),
        sa.Column("game_number", sa.Integer(), nullable=True),
        *_required(sa.String(length=16), "status"),
        *_required(sa.String(length=64), "box_hash"),
        *_required(sa.Integer(), "attempts"),
        *_required(sa.DateTime(timezone=True), "processed_at"),
        sa.Column("updated_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("season", "game_id"),
    )
    _create_table(
        "free_throw_schedule",
        *_required(sa.Integer(), "season"),
        *_required(sa.BigInteger(), "game_id"),
        *_required(sa.Integer(), "game_number"),
        sa.PrimaryKeyConstraint("season", "game_id"),
    )
    _create_table(
        "free_throws",
        _id(),
        *_required(sa.Integer(), "season_start"),
        *_required(sa.BigInteger(), "game_id"),
        *_required(sa.Integer(), "attempt"),
        *_required(sa.String(length=16), "end_result game"),
        *_required(sa.Integer(), "period"),
        *_required(sa.String(length=256), "play"),
        *_required(sa.String(length=64), "player"),
        *_required(sa.String(length=16), "playoffs score season"),
        *_required(sa.Integer(), "shot_made"),
        *_required(sa.String(length=8), "time"),
        *_required(sa.Integer(), "time_s"),
        *_ingest_lineage(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("season_start", "game_id", "attempt", name="uq_free_throws_key"),
    )
    _row_quarantine("free_throws_quarantine")
    _create_table(
        "score_beater_predictions",
        *_required(sa.Integer(), "season"),
        *_required(sa.String(length=64), "player"),
        *_required(sa.Integer(), "games_played"),
        *_required(sa.String(length=64), "model_version"),
        *_required(sa.String(length=16), "input_hash"),
        *_required(sa.Float(), "probability"),
        *_required(sa.DateTime(timezone=True), "made_at"),
        sa.PrimaryKeyConstraint("season", "player", "games_played", "model_version"),
    )
    _create_index(
        "ix_score_beater_predictions_version",
        "score_beater_predictions",
        ["model_version", "season", "games_played"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("0001 is the first schema: there is nothing before it to go back to")
