"""Tables of the free-throw domain, in the same database as the shot tables (SQLite or PostgreSQL).

Column names are lower case (plain SQL on PostgreSQL without quoting). Seasons are start years
(2006 for "2006 - 2007") everywhere except ``free_throws.season``, which keeps the file's text.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Integer, MetaData, String, Table, UniqueConstraint

from shot_platform.core.table_columns import key, required
from shot_platform.free_throws.rules import FREE_THROW_RULES

metadata = MetaData()

_ID = BigInteger().with_variant(Integer, "sqlite")
SEASON_COUNTS = ("made", "attempted", "games", "scheduled_games")  # per player and regular season


def game_key() -> list[Column]:
    """(season, game_id), the key of the tables that hold one row per game."""
    return key(("season", Integer), ("game_id", BigInteger))


def player_key(*more: tuple[str, object]) -> list[Column]:
    """(season, player, ...), the key of the tables that hold one row per player-season (and more)."""
    return key(("season", Integer), ("player", String(64)), *more)


def _text(name: str) -> Column:
    return Column(name, String(FREE_THROW_RULES[name].max_length or 16), nullable=False)


# One row per attempt, values as in the file. Key: (season_start, game_id, attempt), attempt being
# the row's 1-based position among its game's distinct rows in the file (see ingest/events.py).
free_throws = Table(
    "free_throws",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),  # arrival order (issue 9's watermark)
    Column("season_start", Integer, nullable=False),
    Column("game_id", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    _text("end_result"),
    _text("game"),
    Column("period", Integer, nullable=False),
    _text("play"),
    _text("player"),
    _text("playoffs"),
    _text("score"),
    _text("season"),
    Column("shot_made", Integer, nullable=False),
    _text("time"),
    Column("time_s", Integer, nullable=False),  # seconds left in the period, from time
    Column("row_hash", String(16), nullable=False),
    Column("source", String(256), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("season_start", "game_id", "attempt", name="uq_free_throws_key"),
)

# The regular-season schedule (All-Star game excluded), game_number = position in game_id order.
# Built from the events for files; issue 9's Scores API publishes it ahead of the games.
free_throw_schedule = Table(
    "free_throw_schedule", metadata, *game_key(), Column("game_number", Integer, nullable=False)
)

free_throw_player_games = Table(
    "free_throw_player_games",
    metadata,
    *game_key(),
    Column("player", String(64), primary_key=True),
    *required(Integer, "game_number", "made", "attempted"),
)

# Point in time: the model inputs of a player of season - 1 for ``season`` as they stood after
# ``games_played`` league games (0 = preseason). A row exists at 0 and after each game in which his
# counts changed; between rows only season_share moves (games_played / scheduled_games).
# before_last_scheduled_games is 0 when the season before last is not on record.
free_throw_player_features = Table(
    "free_throw_player_features",
    metadata,
    *player_key(("games_played", Integer)),
    *required(Integer, *(f"{season}{count}" for season in ("last_", "before_last_", "") for count in SEASON_COUNTS)),
)

free_throw_labels = Table("free_throw_labels", metadata, *player_key(), *required(Integer, "last_made", "made", "beat"))

# Keyed by what was predicted and by which model; input_hash is the cache key of issue 9 (a
# prediction is recomputed only when the model version or the exact inputs change).
score_beater_predictions = Table(
    "score_beater_predictions",
    metadata,
    *player_key(("games_played", Integer), ("model_version", String(64))),
    Column("input_hash", String(16), nullable=False),
    Column("probability", Float, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),  # when it was computed (served from then on)
    Index("ix_score_beater_predictions_version", "model_version", "season", "games_played"),
)
