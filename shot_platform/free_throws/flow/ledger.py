"""The processed-games ledger and the game quarantine of the game-by-game flow.

A game is recorded in ``free_throw_processed_games`` in the same transaction as its effects (events,
counts, features, labels, predictions), so a sync killed at any point either did a game entirely
or not at all; the next sync resumes after the last recorded game. A game that cannot be used (a
box score breaking a rule, an id the API does not know, a result that changed after it was
processed) goes to ``free_throw_game_quarantine`` with its reason and the payload as received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import BigInteger, Boolean, Column, Connection, DateTime, Integer, String, Table, Text, select, tuple_

from shot_platform.core.database import dialect_insert
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.store.tables import metadata

PROCESSED = "processed"
QUARANTINED = "quarantined"

processed_games = Table(
    "free_throw_processed_games",
    metadata,
    Column("season", Integer, primary_key=True),
    Column("game_id", BigInteger, primary_key=True),
    Column("postseason", Boolean, nullable=False),
    Column("game_number", Integer),  # position in the regular-season schedule; null for other games
    Column("status", String(16), nullable=False),  # processed | quarantined
    Column("box_hash", String(64), nullable=False),  # sha256 of the box score as used: a later change is a conflict
    Column("attempts", Integer, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

game_quarantine = Table(
    "free_throw_game_quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("season", Integer),
    Column("game_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),  # invalid_box_score | unknown_game | conflict | rows
    Column("reason", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False, unique=True),  # the same problem is recorded once
    Column("payload", Text, nullable=False),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
)


def payload_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def ensure_schema(store: FreeThrowStore) -> None:
    metadata.create_all(store.engine, tables=[processed_games, game_quarantine])


def last_processed(conn: Connection) -> tuple[int, int] | None:
    """(season, game_id) of the last recorded game in the API's order, or None before the first."""
    row = conn.execute(
        select(processed_games.c.season, processed_games.c.game_id)
        .order_by(processed_games.c.season.desc(), processed_games.c.game_id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def recorded(conn: Connection, season: int, game_id: int) -> dict | None:
    row = conn.execute(
        select(processed_games).where(
            tuple_(processed_games.c.season, processed_games.c.game_id) == tuple_(season, game_id)
        )
    ).first()
    return dict(row._mapping) if row else None


def record_game(
    conn: Connection,
    *,
    season: int,
    game_id: int,
    postseason: bool,
    game_number: int | None,
    status: str,
    box_hash: str,
    attempts: int,
) -> None:
    conn.execute(
        processed_games.insert().values(
            season=season,
            game_id=game_id,
            postseason=postseason,
            game_number=game_number,
            status=status,
            box_hash=box_hash,
            attempts=attempts,
            processed_at=dt.datetime.now(dt.UTC),
        )
    )


def quarantine_game(conn: Connection, *, season: int | None, game_id: int, kind: str, reason: str, payload: str) -> int:
    """Record a game-level problem once (by payload, kind and reason); returns 1 when it was new."""
    statement = dialect_insert(conn, game_quarantine).on_conflict_do_nothing(index_elements=["payload_hash"])
    result = conn.execute(
        statement,
        {
            "season": season,
            "game_id": game_id,
            "kind": kind,
            "reason": reason,
            "payload_hash": payload_hash(game_id, kind, reason, payload),
            "payload": payload,
            "quarantined_at": dt.datetime.now(dt.UTC),
        },
    )
    return int(result.rowcount or 0)


__all__ = [
    "PROCESSED",
    "QUARANTINED",
    "ensure_schema",
    "game_quarantine",
    "last_processed",
    "payload_hash",
    "processed_games",
    "quarantine_game",
    "record_game",
    "recorded",
]
