"""Shared fixtures: stores on SQLite and on the real PostgreSQL, synthetic and real data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from shot_platform.core.scratch import temporary_database
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform.shots.store import ShotStore
from shot_platform.shots.synthetic import generate_shots, write_shots

PG_ADMIN_URL = os.environ.get("SHOT_PLATFORM_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
SHARED_DATA = Path(os.environ.get("SHOT_PLATFORM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
REAL_SHOTS = SHARED_DATA / "shot_logs_2014-10_2015-01.csv.gz"


# -- running in parallel: pytest-xdist, pyproject's addopts `-n auto --dist loadgroup` -------------------
# xdist_groups: each module with module-scoped fixtures is an xdist_group of its own (a plugin module of
# its own so that core/test_xdist_groups.py can load it in a small pytest run).
pytest_plugins = ["shot_platform_tests.xdist_groups"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: PYTEST_XDIST_AUTO_NUM_WORKERS if set; none (a plain run in this
    process) when only single tests are named (``pytest path/test_x.py::test_y``); else one per
    CPU core, at least 2: much of the suite waits on child processes (services, servers, the CLI)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    if config.args and all("::" in arg for arg in config.args):
        return 0
    return max(2, os.cpu_count() or 1)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as error:
        return str(error).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the real server; CI sets SHOT_PLATFORM_REQUIRE_POSTGRES=1 so a down server fails."""
    problem = _postgres_available()
    if problem:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem}); start it (see docs/testing.md)"
        if os.environ.get("SHOT_PLATFORM_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the real server, dropped afterwards."""
    with temporary_database(postgres_server, "shot_platform_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[ShotStore]:
    shot_store = ShotStore(database_url)
    shot_store.create_schema()
    yield shot_store
    shot_store.dispose()


@pytest.fixture(scope="session")
def synthetic_shots() -> pd.DataFrame:
    """About 60 games of synthetic shots in the Kaggle schema (read back as text, like a file)."""
    return generate_shots(games=60, seed=7)


@pytest.fixture(scope="session")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory, synthetic_shots: pd.DataFrame) -> Path:
    return write_shots(synthetic_shots, tmp_path_factory.mktemp("data") / "shots.csv.gz")


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory, synthetic_file: Path) -> Path:
    """A platform home with the synthetic season ingested and every asset materialised (read-only)."""
    from shot_platform.cli import cli

    home = tmp_path_factory.mktemp("trained_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        for command in (["ingest", "shots", str(synthetic_file)], ["materialize"]):
            result = CliRunner().invoke(cli, command)
            assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def platform_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated $SHOT_PLATFORM_HOME (and Dagster home) for CLI and asset tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(home))
    monkeypatch.delenv("SHOT_PLATFORM_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOT_PLATFORM_MODEL_DIR", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


@pytest.fixture(scope="session")
def real_shots_path() -> Path:
    if not REAL_SHOTS.exists():
        pytest.skip(f"real data not found at {REAL_SHOTS} (set SHOT_PLATFORM_SHARED_DATA to its folder)")
    return REAL_SHOTS


def bad_rows(synthetic: pd.DataFrame) -> pd.DataFrame:
    """Five copies of real-looking rows, each broken in one documented way."""
    rows = synthetic.iloc[:5].copy()
    rows["GAME_ID"] = 29999999  # a game of its own, so no key collides with good rows
    rows.iloc[0, rows.columns.get_loc("SHOT_DIST")] = -3.0
    rows.iloc[1, rows.columns.get_loc("player_id")] = None
    rows.iloc[2, rows.columns.get_loc("GAME_CLOCK")] = "7 minutes"
    rows.iloc[3, rows.columns.get_loc("MATCHUP")] = "sometime - A vs B"
    rows.iloc[4, rows.columns.get_loc("SHOT_RESULT")] = "made" if rows.iloc[4]["FGM"] == 0 else "missed"
    return rows


BAD_ROW_REASONS = (
    "SHOT_DIST must be a finite number within 0..94",
    "player_id is missing",
    "GAME_CLOCK must be 'M:SS'",
    "MATCHUP must be 'MON DD, YYYY - TEAM @|vs. TEAM'",
    "SHOT_RESULT disagrees with FGM",
)


# -- the free-throw domain ------------------------------------------------------------------------
REAL_FREE_THROWS = SHARED_DATA / "free_throws_2006-07_2013-14.csv.gz"


@pytest.fixture
def free_throw_store(database_url: str) -> Iterator[FreeThrowStore]:
    store = FreeThrowStore(database_url)
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def synthetic_free_throws() -> pd.DataFrame:
    """Three small seasons (150 games each; 2011-12 shortened to 123) in the Kaggle schema."""
    return generate_free_throws(seasons=3, first_season=2010, regular_games=150, playoff_games=8, seed=3)


@pytest.fixture(scope="session")
def free_throw_file(tmp_path_factory: pytest.TempPathFactory, synthetic_free_throws: pd.DataFrame) -> Path:
    return write_free_throws(synthetic_free_throws, tmp_path_factory.mktemp("ft_data") / "free_throws.csv.gz")


@pytest.fixture(scope="session")
def real_free_throws_path() -> Path:
    if not REAL_FREE_THROWS.exists():
        pytest.skip(f"real data not found at {REAL_FREE_THROWS} (set SHOT_PLATFORM_SHARED_DATA to its folder)")
    return REAL_FREE_THROWS
