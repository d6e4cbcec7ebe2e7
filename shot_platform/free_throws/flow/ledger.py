"""The processed-games ledger of the game-by-game flow, and what it quarantines.

A game is recorded in ``free_throw_processed_games`` in the same transaction as its effects (events,
counts, features, labels, predictions), so a sync killed at any point either did a game entirely
or not at all; the next sync resumes after the last recorded game. A game that cannot be used (a
box score breaking a rule, an id the API does not know, a result that changed after it was
processed) goes to the shared ``quarantine`` (``core/ingest/quarantine.py``) as a record of its own
kind, with its season and game, its reason and the payload as received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
from sqlalchemy import (
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
from shot_platform.core.ingest import quarantine
from shot_platform.core.schema_migrations import upgrade
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.store.tables import game_key, metadata

PROCESSED = "processed"
QUARANTINED = "quarantined"
# Game quarantine kinds whose game's counts are missing or may be wrong: its season's labels are not final.
COUNT_AFFECTING_KINDS = ("invalid_box_score", "corrected_result")
VANISHED = "vanished_from_schedule"  # processed, then dropped from the provider's schedule: counts kept
DOMAIN_NAME = "free_throws"  # the domain's name (free_throws/domain.py): its records in the shared quarantine
GAME_SOURCE = "sync"  # the source of a game record in the quarantine listing
RETRAIN_ATTEMPT = "retrain_attempted:"  # flow_state name prefix + judged season: its retraining ran

processed_games = Table(
    "free_throw_processed_games",
    metadata,
    *game_key(),
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


def quarantine_game(conn: Connection, *, season: int | None, game_id: int, kind: str, reason: str, payload: str) -> int:
    """Record a game-level problem once (by payload, kind and reason); returns 1 when it was new.

    The payload and reason are stored as ``core.ingest.storable`` makes them (the reason says when
    the payload was altered); the hash is of the text as received, so the same problem is recorded once.
    """
    digest = payload_hash(game_id, kind, reason, payload)
    return quarantine.add_record(
        conn, DOMAIN_NAME, kind=kind, row_hash=digest, source=GAME_SOURCE, reason=reason, raw=payload,
        season=season, game_id=game_id,
    )  # fmt: skip


def load_game_quarantine(store: FreeThrowStore) -> pd.DataFrame:
    """The quarantined games (season, game_id, kind, reason, payload, quarantined_at), oldest first."""
    with store.engine.connect() as conn:
        records = quarantine.load(conn, DOMAIN_NAME, other_kinds=[quarantine.ROW])
    records = records.rename(columns={"raw": "payload"})
    columns = ["season", "game_id", "kind", "reason", "payload", "quarantined_at"]
    return records[columns].astype({"game_id": "int64"}).reset_index(drop=True)


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
                select(quarantine.quarantine.c.season, quarantine.quarantine.c.game_id).where(
                    (quarantine.quarantine.c.domain == DOMAIN_NAME)
                    & quarantine.quarantine.c.kind.in_(COUNT_AFFECTING_KINDS)
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
    "PROCESSED",
    "QUARANTINED",
    "VANISHED",
    "ensure_schema",
    "flow_state",
    "held_back_games",
    "iso",
    "last_processed",
    "load_game_quarantine",
    "payload_hash",
    "processed_games",
    "quarantine_game",
    "read_state",
    "record_game",
    "record_retrain_attempt",
    "recorded",
    "retrain_attempted",
    "write_state",
]
