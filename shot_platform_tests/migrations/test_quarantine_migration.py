"""Revision 0002: the three quarantine tables of release 0.1.0 become the one ``quarantine`` table, every
row kept with its domain, on SQLite and PostgreSQL; the downgrade gives the three tables back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from shot_platform.core import schema_migrations
from shot_platform.core.database import create_store_engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AT = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
SHOT_ROWS = [
    ("a" * 16, "shots.csv", 2, "SHOT_DIST 'far' is not a number", '{"SHOT_DIST": "far"}'),
    ("b" * 16, "body", None, "missing GAME_ID", "{}"),
]
FREE_THROW_ROWS = [("c" * 16, "ft.csv", 52, "period 9 is out of range", '{"period": "9"}')]
GAMES = [
    (2012, 1202, "invalid_box_score", "not json", "d" * 64, "\ufffdnot json"),
    (None, 77, "unknown_game", "not in a schedule", "e" * 64, '{"id": 77}'),
]


def _old_store(url: str) -> None:
    """Release 0.1.0's schema (as create_all made it) with rows in its three quarantine tables."""
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in (FIXTURES / f"schema_0_1_0.{dialect}.sql").read_text().split(";"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if body:
                conn.exec_driver_sql(body)
        for table, rows in (("shots_quarantine", SHOT_ROWS), ("free_throws_quarantine", FREE_THROW_ROWS)):
            for row_hash, source, line, reason, raw in rows:
                conn.execute(
                    text(
                        f"INSERT INTO {table} (row_hash, source, line, reason, raw, quarantined_at) "
                        "VALUES (:row_hash, :source, :line, :reason, :raw, :at)"
                    ),
                    {"row_hash": row_hash, "source": source, "line": line, "reason": reason, "raw": raw, "at": AT},
                )
        for season, game_id, kind, reason, payload_hash, payload in GAMES:
            conn.execute(
                text(
                    "INSERT INTO free_throw_game_quarantine "
                    "(season, game_id, kind, reason, payload_hash, payload, quarantined_at) "
                    "VALUES (:season, :game_id, :kind, :reason, :hash, :payload, :at)"
                ),
                {"season": season, "game_id": game_id, "kind": kind, "reason": reason, "hash": payload_hash,
                 "payload": payload, "at": AT},
            )  # fmt: skip
    engine.dispose()


def _expected() -> list[tuple]:
    rows = [("shots", "row", h, s, line, None, None, r, raw) for h, s, line, r, raw in SHOT_ROWS]
    rows += [("free_throws", "row", h, s, line, None, None, r, raw) for h, s, line, r, raw in FREE_THROW_ROWS]
    rows += [("free_throws", kind, h, "sync", None, season, game, r, p) for season, game, kind, r, h, p in GAMES]
    return rows


def _quarantine(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT domain, kind, row_hash, source, line, season, game_id, reason, raw, quarantined_at "
                "FROM quarantine ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert all(row[-1] is not None for row in rows)
    return [tuple(row[:-1]) for row in rows]


def test_0002_moves_every_quarantined_row_into_one_table_and_back(database_url: str) -> None:
    _old_store(database_url)
    engine = create_store_engine(database_url)
    schema_migrations.upgrade(engine)

    assert _quarantine(database_url) == _expected()
    tables = set(inspect(engine).get_table_names())
    assert "quarantine" in tables
    assert not tables & {"shots_quarantine", "free_throws_quarantine", "free_throw_game_quarantine"}

    with engine.begin() as conn:
        command.downgrade(schema_migrations.alembic_config(conn), "0001")
    with engine.connect() as conn:
        assert not inspect(conn).has_table("quarantine")
        shots = conn.execute(text("SELECT row_hash, source, line, reason, raw FROM shots_quarantine ORDER BY id"))
        assert [tuple(row) for row in shots] == SHOT_ROWS
        free = conn.execute(text("SELECT row_hash, source, line, reason, raw FROM free_throws_quarantine ORDER BY id"))
        assert [tuple(row) for row in free] == FREE_THROW_ROWS
        games = conn.execute(
            text(
                "SELECT season, game_id, kind, reason, payload_hash, payload FROM free_throw_game_quarantine "
                "ORDER BY id"
            )
        )
        assert [tuple(row) for row in games] == GAMES
    engine.dispose()
