"""SHOT_PLATFORM_ENV=production refuses to start without its database and model store, naming what is
missing: the CLI, the Dagster code location and the service never fall back to a local SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from shot_platform.cli import cli
from shot_platform.core.settings import Settings, SettingsError

DB = "SHOT_PLATFORM_DATABASE_URL"
STORE = "SHOT_PLATFORM_MODEL_STORE"


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
    return env | values


@pytest.mark.parametrize(
    ("present", "missing"),
    [({}, [DB, STORE]), ({DB: "postgresql://x@h/db"}, [STORE]), ({STORE: "s3://bucket/prefix"}, [DB])],
)
def test_production_settings_name_every_missing_variable(monkeypatch, present, missing):
    for name in (DB, STORE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOT_PLATFORM_ENV", "production")
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    for name in missing:
        assert name in str(raised.value)
    assert [name for name in (DB, STORE) if name in str(raised.value)] == missing


def test_production_with_both_settings_uses_them(monkeypatch):
    monkeypatch.setenv("SHOT_PLATFORM_ENV", "production")
    monkeypatch.setenv(DB, "postgresql+psycopg2://u@db:5432/shot_platform")
    monkeypatch.setenv(STORE, "s3://models/shot_platform")
    settings_ = Settings.from_env()
    assert settings_.database_url.startswith("postgresql") and settings_.model_store == "s3://models/shot_platform"


def test_local_is_the_default_and_uses_the_home(monkeypatch, tmp_path):
    for name in ("SHOT_PLATFORM_ENV", DB, STORE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(tmp_path))
    assert Settings.from_env().database_url == f"sqlite:///{tmp_path / 'store.db'}"


@settings(max_examples=40, deadline=None)
@given(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00="), max_size=20).filter(
        lambda t: t.strip().lower() not in ("local", "production", "")
    )
)
def test_an_unknown_environment_is_refused(value):
    saved = os.environ.get("SHOT_PLATFORM_ENV")
    try:
        os.environ["SHOT_PLATFORM_ENV"] = value
        with pytest.raises(SettingsError, match="SHOT_PLATFORM_ENV must be one of local, production"):
            Settings.from_env()
    finally:
        if saved is None:
            os.environ.pop("SHOT_PLATFORM_ENV", None)
        else:
            os.environ["SHOT_PLATFORM_ENV"] = saved


def test_the_cli_refuses_in_one_line_before_touching_a_store(tmp_path):
    env = _env(SHOT_PLATFORM_ENV="production", SHOT_PLATFORM_HOME=str(tmp_path))
    result = CliRunner().invoke(cli, ["models", "list"], env={**env, DB: "", STORE: ""})
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: SHOT_PLATFORM_ENV=production needs")
    assert not (tmp_path / "store.db").exists()


@pytest.mark.slow
def test_the_code_location_and_the_service_refuse_to_start(tmp_path):
    env = _env(SHOT_PLATFORM_ENV="production", SHOT_PLATFORM_HOME=str(tmp_path))
    location = subprocess.run(
        [sys.executable, "-c", "import shot_platform.definitions"], env=env, capture_output=True, text=True, timeout=120
    )
    assert location.returncode != 0 and f"needs {DB} and {STORE}" in location.stderr
    serve = subprocess.run(
        [str(Path(sys.executable).parent / "shot-platform"), "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert serve.returncode == 1 and f"needs {DB} and {STORE}" in serve.stderr
    assert not (tmp_path / "store.db").exists()
