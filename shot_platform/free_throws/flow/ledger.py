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
import re

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    select,
    tuple_,
)

from shot_platform.core.database import dialect_insert
from shot_platform.core.schema_migrations import upgrade
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.store.tables import metadata

PROCESSED = "processed"
QUARANTINED = "quarantined"
# Game quarantine kinds whose game's counts are missing or may be wrong: its season's labels are not final.
COUNT_AFFECTING_KINDS = ("invalid_box_score", "corrected_result")
VANISHED = "vanished_from_schedule"  # processed, then dropped from the provider's schedule: counts kept
# Raw text kept for a quarantined game: enough to read what came, bounded so one answer cannot fill the store.
MAX_STORED_CHARS = 65_536
_REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
RETRAIN_ATTEMPT = "retrain_attempted:"  # flow_state name prefix + judged season: its retraining ran

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
    # The provider's updated_at of the result as used (ISO 8601, UTC; null when the provider has none),
    # or of its latest correction once reported: a later one is a change to look at (``corrections.py``).
    Column("updated_at", String(40)),
)

# What the flow remembers between syncs beside the ledger: the corrections feed's watermark.
flow_state = Table(
    "free_throw_flow_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

game_quarantine = Table(
    "free_throw_game_quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("season", Integer),
    Column("game_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),  # invalid_box_score | unknown_game | corrected_result
    Column("reason", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False, unique=True),  # the same problem is recorded once
    Column("payload", Text, nullable=False),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
)


def payload_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def ensure_schema(store: FreeThrowStore) -> None:
    upgrade(store.engine)


def iso(value: dt.datetime | None) -> str | None:
    """The ledger's text of a provider time: ISO 8601 in UTC to the microsecond (compared as text)."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value is not None else None


def read_state(conn: Connection, name: str) -> str | None:
    return conn.execute(select(flow_state.c.value).where(flow_state.c.name == name)).scalar_one_or_none()


def write_state(conn: Connection, name: str, value: str) -> None:
    statement = dialect_insert(conn, flow_state)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"value": statement.excluded.value}),
        {"name": name, "value": value},
    )


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
    updated_at: str | None = None,
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
            updated_at=updated_at,
        )
    )


def storable_text(text: str, limit: int = MAX_STORED_CHARS) -> tuple[str, str]:
    """``text`` as both databases can store it, and what was altered ("" when nothing).

    One rule for SQLite and PostgreSQL: NUL (PostgreSQL text cannot hold it) and lone surrogates
    (not UTF-8) become U+FFFD, and the text is cut to ``limit`` characters.
    """
    cleaned = _UNSTORABLE.sub(_REPLACEMENT, text)
    replaced = len(_UNSTORABLE.findall(text))
    changes = []
    if replaced:
        changes.append(f"{replaced} NUL or non-UTF-8 characters replaced by U+FFFD")
    if len(cleaned) > limit:
        changes.append(f"cut from {len(cleaned):,} to {limit:,} characters")
        cleaned = cleaned[:limit]
    return cleaned, "; ".join(changes)


def quarantine_game(conn: Connection, *, season: int | None, game_id: int, kind: str, reason: str, payload: str) -> int:
    """Record a game-level problem once (by payload, kind and reason); returns 1 when it was new.

    The payload and reason are stored as ``storable_text`` makes them (the reason says when the
    payload was altered); the hash is of the text as received, so the same problem is recorded once.
    """
    digest = payload_hash(game_id, kind, reason, payload)
    stored_reason, _ = storable_text(reason, 4_096)
    stored_payload, altered = storable_text(payload)
    if altered:
        stored_reason += f" (payload stored altered: {altered})"
    statement = dialect_insert(conn, game_quarantine).on_conflict_do_nothing(index_elements=["payload_hash"])
    result = conn.execute(
        statement,
        {
            "season": season,
            "game_id": game_id,
            "kind": kind,
            "reason": stored_reason,
            "payload_hash": digest,
            "payload": stored_payload,
            "quarantined_at": dt.datetime.now(dt.UTC),
        },
    )
    return int(result.rowcount or 0)


def held_back_games(conn: Connection) -> dict[int, list[int]]:
    """Per season, its regular-season games whose counts are missing or may be wrong: quarantined
    (a box score that broke a rule) or whose result changed after it was processed. Their season's
    labels are not final (``live_metrics.SeasonProgress.complete``)."""
    query = (
        select(processed_games.c.season, processed_games.c.game_id)
        .where(processed_games.c.game_number.is_not(None))
        .where(
            (processed_games.c.status == QUARANTINED)
            | tuple_(processed_games.c.season, processed_games.c.game_id).in_(
                select(game_quarantine.c.season, game_quarantine.c.game_id).where(
                    game_quarantine.c.kind.in_(COUNT_AFFECTING_KINDS)
                )
            )
        )
        .distinct()
        .order_by(processed_games.c.season, processed_games.c.game_id)
    )
    games: dict[int, list[int]] = {}
    for season, game_id in conn.execute(query).all():
        games.setdefault(int(season), []).append(int(game_id))
    return games


def retrain_attempted(conn: Connection, judge_season: int) -> str | None:
    """The outcome recorded when the retraining judged on ``judge_season`` ran (None: not yet)."""
    return read_state(conn, f"{RETRAIN_ATTEMPT}{judge_season}")


def record_retrain_attempt(conn: Connection, judge_season: int, outcome: str) -> None:
    write_state(conn, f"{RETRAIN_ATTEMPT}{judge_season}", outcome)


__all__ = [
    "COUNT_AFFECTING_KINDS",
    "MAX_STORED_CHARS",
    "PROCESSED",
    "QUARANTINED",
    "VANISHED",
    "ensure_schema",
    "flow_state",
    "game_quarantine",
    "held_back_games",
    "iso",
    "last_processed",
    "payload_hash",
    "processed_games",
    "quarantine_game",
    "read_state",
    "record_game",
    "record_retrain_attempt",
    "recorded",
    "retrain_attempted",
    "storable_text",
    "write_state",
]
