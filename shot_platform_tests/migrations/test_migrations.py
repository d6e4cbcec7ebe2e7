"""Schema migrations (Alembic): a store made by the release before migrations upgrades with every row kept,
a new store matches the tables the code declares, and nothing else creates tables."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.sql import sqltypes

from shot_platform.cli import cli
from shot_platform.core import schema_migrations
from shot_platform.core.database import create_store_engine
from shot_platform.core.ingest.quarantine import metadata as quarantine_metadata
from shot_platform.free_throws.flow import ledger  # noqa: F401  (its tables join the free-throw metadata)
from shot_platform.free_throws.store.tables import metadata as free_throw_metadata
from shot_platform.shots.store.tables import metadata as shot_metadata

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PACKAGE = Path(__file__).resolve().parents[2] / "shot_platform"
# Release 0.1.0's quarantine tables: revision 0002 moves their rows into `quarantine` (test_quarantine_migration.py).
MOVED = ("shots_quarantine", "free_throws_quarantine", "free_throw_game_quarantine")


def _apply_old_schema(url: str, dialect: str, without_updated_at: bool) -> None:
    """The schema as release 0.1.0's create_all made it; optionally as an earlier store, whose ledger had
    no ``updated_at`` yet (release 0.1.0 added the column by hand)."""
    sql = (FIXTURES / f"schema_0_1_0.{dialect}.sql").read_text()
    if without_updated_at:
        sql = re.sub(r",\s*updated_at VARCHAR\(40\)", "", sql)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in sql.split(";"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if body:
                conn.exec_driver_sql(body)
    engine.dispose()


def _value(column_type: sqltypes.TypeEngine) -> object:
    """A valid value of a reflected column's type (every table gets one row, every column a value)."""
    if isinstance(column_type, sqltypes.Boolean):
        return False
    if isinstance(column_type, sqltypes.Integer):
        return 7
    if isinstance(column_type, sqltypes.Float | sqltypes.Numeric):
        return 1.5
    if isinstance(column_type, sqltypes.DateTime):
        return dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    if isinstance(column_type, sqltypes.Date):
        return dt.date(2014, 10, 28)
    length = getattr(column_type, "length", None) or 8
    return "x" * min(length, 8)


def _insert_rows(url: str) -> dict[str, list[tuple]]:
    """One row in every table of the old store; what each table holds afterwards."""
    engine = create_engine(url)
    kept = {}
    with engine.begin() as conn:
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            values = {c["name"]: _value(c["type"]) for c in inspector.get_columns(table)}
            names = ", ".join(values)
            conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in values)})"), values)
            kept[table] = [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
    engine.dispose()
    assert len(kept) == 16  # every table of release 0.1.0
    return kept


def _differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, [quarantine_metadata, shot_metadata, free_throw_metadata])
    engine.dispose()
    return differences


@pytest.mark.parametrize("without_updated_at", [False, True], ids=["release-0.1.0", "earlier-ledger"])
def test_a_store_from_before_migrations_upgrades_with_every_row_kept(
    database_url: str, without_updated_at: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    _apply_old_schema(database_url, dialect, without_updated_at)
    before = _insert_rows(database_url)
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHOT_PLATFORM_DATABASE_URL", database_url)

    result = CliRunner().invoke(cli, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert f"upgraded from no revision to {schema_migrations.head_revision()}" in result.output
    engine = create_engine(database_url)
    with engine.connect() as conn:
        moved = conn.execute(text("SELECT count(*) FROM quarantine")).scalar_one()
        assert moved == sum(len(before[table]) for table in MOVED)
        for table, rows in before.items():
            if table in MOVED:
                assert not inspect(conn).has_table(table)
                continue
            after = [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            if without_updated_at and table == "free_throw_processed_games":
                assert [row[:-1] for row in after] == rows and [row[-1] for row in after] == [None]
            else:
                assert after == rows
    engine.dispose()
    assert _differences(database_url) == []
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "is current" in again.output


def test_a_new_store_has_exactly_the_declared_tables(database_url: str) -> None:
    engine = create_store_engine(database_url)
    schema_migrations.upgrade(engine)
    engine.dispose()
    assert _differences(database_url) == []
    assert schema_migrations.current_revision(create_engine(database_url)) == schema_migrations.head_revision()
    # compare_metadata ignores column order; a store made before migrations (create_all) has the declared
    # order, and a new store must be laid out the same, column for column.
    engine = create_engine(database_url)
    inspector = inspect(engine)
    for table in [*shot_metadata.sorted_tables, *free_throw_metadata.sorted_tables]:
        assert [column["name"] for column in inspector.get_columns(table.name)] == list(table.columns.keys())
    engine.dispose()


def _upgrade_in_child(url: str) -> None:
    engine = create_store_engine(url)
    schema_migrations.upgrade(engine)
    engine.dispose()


@pytest.mark.slow
def test_concurrent_upgrades_of_a_fresh_store_do_not_collide(database_url: str) -> None:
    """Two processes opening a new store at once (two syncs, a sync and the service): one migrates,
    the other waits and finds it current; neither fails on a table the other just created."""
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_upgrade_in_child, args=(database_url,)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0, 0]
    assert _differences(database_url) == []


def test_nothing_outside_the_migrations_creates_or_alters_tables() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue
        source = path.read_text()
        if re.search(r"\.create_all\(|\bALTER TABLE\b|\bCREATE TABLE\b", source):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_db_current_names_the_next_step_when_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(tmp_path))
    monkeypatch.delenv("SHOT_PLATFORM_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 0
    assert "store revision none" in result.output and "run `shot-platform db upgrade`" in result.output


@pytest.mark.parametrize("command", ["upgrade", "current"])
@pytest.mark.parametrize("url", ["nonsense://", "postgresql+nodriver://x@127.0.0.1/db", "not a url"])
def test_db_commands_refuse_an_unusable_url_in_one_line(command: str, url: str, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(tmp_path))
    monkeypatch.setenv("SHOT_PLATFORM_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["db", command])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # no traceback
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
