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


def upgrade() -> None:
    _create_table(
        "player_feature_history",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("through_date", sa.Date(), nullable=False),
        sa.Column("att_rim", sa.Integer(), nullable=False),
        sa.Column("made_rim", sa.Integer(), nullable=False),
        sa.Column("att_paint", sa.Integer(), nullable=False),
        sa.Column("made_paint", sa.Integer(), nullable=False),
        sa.Column("att_mid", sa.Integer(), nullable=False),
        sa.Column("made_mid", sa.Integer(), nullable=False),
        sa.Column("att_three", sa.Integer(), nullable=False),
        sa.Column("made_three", sa.Integer(), nullable=False),
        sa.Column("att_all", sa.Integer(), nullable=False),
        sa.Column("rate_rim", sa.Float(), nullable=False),
        sa.Column("rate_paint", sa.Float(), nullable=False),
        sa.Column("rate_mid", sa.Float(), nullable=False),
        sa.Column("rate_three", sa.Float(), nullable=False),
        sa.Column("rate_all", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("role", "player_id", "through_date"),
    )
    _create_table(
        "player_profiles",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("through_date", sa.Date(), nullable=False),
        sa.Column("att_rim", sa.Integer(), nullable=False),
        sa.Column("made_rim", sa.Integer(), nullable=False),
        sa.Column("att_paint", sa.Integer(), nullable=False),
        sa.Column("made_paint", sa.Integer(), nullable=False),
        sa.Column("att_mid", sa.Integer(), nullable=False),
        sa.Column("made_mid", sa.Integer(), nullable=False),
        sa.Column("att_three", sa.Integer(), nullable=False),
        sa.Column("made_three", sa.Integer(), nullable=False),
        sa.Column("att_all", sa.Integer(), nullable=False),
        sa.Column("rate_rim", sa.Float(), nullable=False),
        sa.Column("rate_paint", sa.Float(), nullable=False),
        sa.Column("rate_mid", sa.Float(), nullable=False),
        sa.Column("rate_three", sa.Float(), nullable=False),
        sa.Column("rate_all", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("role", "player_id"),
    )
    _create_table(
        "prediction_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("make_probability", sa.Float(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=True),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("shot_number", sa.Integer(), nullable=True),
        sa.Column("closest_defender_player_id", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index(
        "ix_prediction_requests_shot", "prediction_requests", ["game_id", "player_id", "shot_number"], unique=False
    )
    _create_table(
        "shot_predictions",
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("shot_number", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("feature_hash", sa.String(length=16), nullable=False),
        sa.Column("make_probability", sa.Float(), nullable=False),
        sa.Column("predicted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("game_id", "player_id", "shot_number"),
    )
    _create_table(
        "shots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.BigInteger(), nullable=False),
        sa.Column("shot_number", sa.Integer(), nullable=False),
        sa.Column("matchup", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=1), nullable=False),
        sa.Column("w", sa.String(length=1), nullable=True),
        sa.Column("final_margin", sa.Integer(), nullable=True),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("game_clock", sa.String(length=8), nullable=False),
        sa.Column("shot_clock", sa.Float(), nullable=True),
        sa.Column("dribbles", sa.Integer(), nullable=False),
        sa.Column("touch_time", sa.Float(), nullable=False),
        sa.Column("shot_dist", sa.Float(), nullable=False),
        sa.Column("pts_type", sa.Integer(), nullable=False),
        sa.Column("shot_result", sa.String(length=8), nullable=False),
        sa.Column("closest_defender", sa.String(length=64), nullable=True),
        sa.Column("closest_defender_player_id", sa.BigInteger(), nullable=False),
        sa.Column("close_def_dist", sa.Float(), nullable=False),
        sa.Column("fgm", sa.Integer(), nullable=False),
        sa.Column("pts", sa.Integer(), nullable=False),
        sa.Column("player_name", sa.String(length=64), nullable=True),
        sa.Column("game_date", sa.Date(), nullable=False),
        sa.Column("team", sa.String(length=4), nullable=False),
        sa.Column("opponent", sa.String(length=4), nullable=False),
        sa.Column("game_clock_s", sa.Float(), nullable=False),
        sa.Column("shot_dist_raw", sa.Float(), nullable=False),
        sa.Column("touch_time_raw", sa.Float(), nullable=False),
        sa.Column("cleaning_notes", sa.String(length=128), nullable=False),
        sa.Column("row_hash", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "player_id", "shot_number", name="uq_shots_key"),
    )
    _create_index("ix_shots_game_date", "shots", ["game_date"], unique=False)
    _create_table(
        "shots_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("row_hash", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("row_hash"),
    )
    _create_table(
        "free_throw_flow_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _create_table(
        "free_throw_game_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payload_hash"),
    )
    _create_table(
        "free_throw_labels",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("last_made", sa.Integer(), nullable=False),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.Column("beat", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("season", "player"),
    )
    _create_table(
        "free_throw_player_features",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("games_played", sa.Integer(), nullable=False),
        sa.Column("last_made", sa.Integer(), nullable=False),
        sa.Column("last_attempted", sa.Integer(), nullable=False),
        sa.Column("last_games", sa.Integer(), nullable=False),
        sa.Column("last_scheduled_games", sa.Integer(), nullable=False),
        sa.Column("before_last_made", sa.Integer(), nullable=False),
        sa.Column("before_last_attempted", sa.Integer(), nullable=False),
        sa.Column("before_last_games", sa.Integer(), nullable=False),
        sa.Column("before_last_scheduled_games", sa.Integer(), nullable=False),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.Column("attempted", sa.Integer(), nullable=False),
        sa.Column("games", sa.Integer(), nullable=False),
        sa.Column("scheduled_games", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("season", "player", "games_played"),
    )
    _create_table(
        "free_throw_player_games",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("game_number", sa.Integer(), nullable=False),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.Column("attempted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("season", "game_id", "player"),
    )
    _create_table(
        "free_throw_processed_games",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("postseason", sa.Boolean(), nullable=False),
        sa.Column("game_number", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("box_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("season", "game_id"),
    )
    _create_table(
        "free_throw_schedule",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("game_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("season", "game_id"),
    )
    _create_table(
        "free_throws",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("season_start", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("end_result", sa.String(length=16), nullable=False),
        sa.Column("game", sa.String(length=16), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("play", sa.String(length=256), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("playoffs", sa.String(length=16), nullable=False),
        sa.Column("score", sa.String(length=16), nullable=False),
        sa.Column("season", sa.String(length=16), nullable=False),
        sa.Column("shot_made", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=8), nullable=False),
        sa.Column("time_s", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("season_start", "game_id", "attempt", name="uq_free_throws_key"),
    )
    _create_table(
        "free_throws_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("row_hash", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("row_hash"),
    )
    _create_table(
        "score_beater_predictions",
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("games_played", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("input_hash", sa.String(length=16), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
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
