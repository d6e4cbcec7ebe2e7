"""One configuration boundary: ``core/settings.py`` reads the environment and nothing else does; a value
that cannot be used is one error naming its variable; the operations table is the fields' own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

import shot_platform
from shot_platform.cli import cli
from shot_platform.core import settings as settings_module
from shot_platform.core.settings import (
    MAX_BODY_ENV,
    MAX_INFLIGHT_ENV,
    POLL_ENV,
    THREADS_ENV,
    Settings,
    SettingsError,
    child_environment,
    domain_settings,
    export_variable,
    read,
    variable,
    variables,
    variables_table,
)
from shot_platform.free_throws import settings as free_throw_settings
from shot_platform.free_throws.flow.sync import retrain_threshold
from shot_platform.free_throws.settings import RETRAIN_LABELS_ENV, FreeThrowSettings
from shot_platform.shots import settings as shot_settings
from shot_platform.shots.settings import RETRAIN_THRESHOLD_ENV, ShotSettings

PACKAGE = Path(shot_platform.__file__).resolve().parent
SETTINGS_MODULE = PACKAGE / "core" / "settings.py"
OPERATIONS = PACKAGE.parent / "docs" / "operations.md"
NUMBERS = (MAX_BODY_ENV, MAX_INFLIGHT_ENV, POLL_ENV, RETRAIN_LABELS_ENV, RETRAIN_THRESHOLD_ENV, THREADS_ENV)
# Written for TensorFlow before its import (export_variable), never read by the platform.
WRITE_ONLY = {"TF_CPP_MIN_LOG_LEVEL"}
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """Lines that touch the process environment: ``os.environ``, ``os.getenv``/``putenv``/``unsetenv``,
    ``environ``/``getenv`` imported from os, anything called ``environ.get``."""
    tree = ast.walk(ast.parse(source))
    return [node.lineno for node in tree if isinstance(node, ast.Attribute | ast.ImportFrom) and _reads(node)]


def _reads(node: ast.Attribute | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in ENVIRONMENT_NAMES
    return node.module == "os" and bool({alias.name for alias in node.names} & ENVIRONMENT_NAMES)


def test_the_scan_finds_every_way_of_reading_the_environment():
    samples = [
        "import os\nos.environ.get('X')",
        "import os\nos.getenv('X')",
        "import os\nx = os.environ['X']",
        "import os\nos.environ.setdefault('X', '1')",
        "from os import environ\nenviron.get('X')",
        "from os import getenv",
        "import os as o\no.environ",
        "import os\nenv = dict(os.environ)",
    ]
    assert all(environment_reads(sample) for sample in samples)
    assert not environment_reads("import os\nos.path.join('a', 'b')\nenv = {'environ': 1}")


def test_only_the_settings_module_reads_the_environment():
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path != SETTINGS_MODULE
        for line in environment_reads(path.read_text())
    }
    assert not offenders, f"read the variable through Settings (core/settings.py) instead: {sorted(offenders)}"
    assert environment_reads(SETTINGS_MODULE.read_text()), "the scan must see the settings module's own reads"


THRESHOLDS = (RETRAIN_LABELS_ENV, RETRAIN_THRESHOLD_ENV)  # 0 is allowed: retrain on any new data


@pytest.mark.parametrize(
    ("name", "value"),
    [(n, v) for n in NUMBERS for v in ["lots", "1.5e", "-3", "0", "nan"] if not (v == "0" and n in THRESHOLDS)],
)
def test_a_bad_number_is_one_error_naming_its_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    message = str(raised.value)
    assert message.startswith(f"{name} must be ") and repr(value) in message and "\n" not in message


def test_a_retrain_threshold_of_zero_is_allowed(monkeypatch):
    from shot_platform.free_throws.settings import FreeThrowSettings
    from shot_platform.shots.settings import ShotSettings

    for name in THRESHOLDS:
        monkeypatch.setenv(name, "0")
    assert ShotSettings.from_env().retrain_min_new_shots == 0
    assert FreeThrowSettings.from_env().retrain_min_new_labels == 0


def test_numbers_are_read_into_typed_fields(monkeypatch):
    values = {MAX_BODY_ENV: "1000", MAX_INFLIGHT_ENV: "5000", POLL_ENV: "0.25", THREADS_ENV: "3"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.serving.max_body_bytes, settings.serving.max_inflight_bytes) == (1000, 5000)
    assert settings.serving.poll_seconds == 0.25 and settings.model_threads == 3
    monkeypatch.delenv(MAX_INFLIGHT_ENV)
    assert Settings.from_env().serving.max_inflight_bytes == 2000  # two of the largest bodies


def test_defaults_and_blank_values(monkeypatch):
    for declared in variables():
        monkeypatch.setenv(declared.name, "  ")  # compose writes NAME= for "not set"
    monkeypatch.setenv("SHOT_PLATFORM_HOME", "")
    settings = Settings.from_env()
    assert settings.home == Path(".shot_platform").absolute() and settings.environment == "local"
    free_throws, shots = FreeThrowSettings.from_env(), ShotSettings.from_env()
    assert free_throws.scores_api.url is None and free_throws.scores_api.api_key is None
    assert free_throws.score_beater_url is None and shots.api_key is None
    assert settings.serving.poll_seconds == 5.0 and settings.serving.max_body_bytes == 8 * 2**20
    assert settings.dagster_home == settings.home / "dagster" and settings.bentoml_home is None


def test_both_retrain_thresholds_are_read_one_way(monkeypatch):
    monkeypatch.setenv(RETRAIN_THRESHOLD_ENV, "7")
    monkeypatch.setenv(RETRAIN_LABELS_ENV, "11")
    Settings.from_env()  # reads the domains' settings too (a bad value below fails here)
    shots, free_throws = ShotSettings.from_env(), FreeThrowSettings.from_env()
    assert (shots.retrain_min_new_shots, free_throws.retrain_min_new_labels) == (7, 11)
    assert retrain_threshold() == 11 and retrain_threshold(3) == 3
    monkeypatch.setenv(RETRAIN_LABELS_ENV, "eleven")
    with pytest.raises(SettingsError, match=RETRAIN_LABELS_ENV):
        retrain_threshold()


@pytest.mark.parametrize("command", [["models", "list"], ["serve", "--port", "0"]])
def test_the_cli_refuses_a_bad_number_in_one_line(tmp_path, command):
    env = {"SHOT_PLATFORM_HOME": str(tmp_path), MAX_BODY_ENV: "8MB"}
    result = CliRunner().invoke(cli, command, env=env)
    assert result.exit_code == 1
    assert result.output == f"error: {MAX_BODY_ENV} must be a whole number of bytes, got '8MB'\n"
    assert not (tmp_path / "store.db").exists()


def test_every_variable_is_a_documented_field():
    names = [declared.name for declared in variables()]
    assert len(names) == len(set(names))
    constants = {
        value
        for module in (settings_module, shot_settings, free_throw_settings)
        for key, value in vars(module).items()
        if key.endswith("_ENV") and isinstance(value, str) and key != "ENV_ENV"
    } | {settings_module.ENV_ENV}
    assert constants - WRITE_ONLY == set(names), "each variable constant needs a field declaring it"
    assert {ShotSettings, FreeThrowSettings} <= set(domain_settings()), "found through the Domain contract"


def test_the_operations_table_is_generated_from_the_fields():
    text = OPERATIONS.read_text()
    start, end = "<!-- settings table: start -->\n", "<!-- settings table: end -->"
    documented = text[text.index(start) + len(start) : text.index(end)]
    assert documented == variables_table(), (
        "docs/operations.md is out of date: paste the output of "
        "`python -c 'from shot_platform.core.settings import variables_table; print(variables_table(), end=\"\")'`"
    )
    secrets = {declared.name for declared in variables() if declared.secret}
    assert {"SHOT_PLATFORM_DATABASE_URL", "SHOT_PLATFORM_API_KEY", "SHOT_PLATFORM_SCORES_API_KEY"} <= secrets


def test_child_environment_and_export_variable(monkeypatch):
    monkeypatch.setenv("SHOT_PLATFORM_TEST_DROPPED", "x")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = child_environment(drop=("SHOT_PLATFORM_TEST_DROPPED",), pythonpath="/first", overrides={POLL_ENV: "2"})
    assert "SHOT_PLATFORM_TEST_DROPPED" not in env and env[POLL_ENV] == "2"
    assert env["PYTHONPATH"] == os.pathsep.join(["/first", "/elsewhere"])
    assert "SHOT_PLATFORM_TEST_DROPPED" in os.environ, "the parent's environment is left alone"

    monkeypatch.setenv("SHOT_PLATFORM_TEST_EXPORTED", "user")
    export_variable("SHOT_PLATFORM_TEST_EXPORTED", "ours", keep_existing=True)
    assert os.environ["SHOT_PLATFORM_TEST_EXPORTED"] == "user"
    export_variable("SHOT_PLATFORM_TEST_EXPORTED", "ours")
    assert os.environ["SHOT_PLATFORM_TEST_EXPORTED"] == "ours"


def test_the_service_module_refuses_a_bad_limit(tmp_path):
    """The body limits are read when the service module is imported (its middleware is set up then)."""
    env = child_environment(overrides={"SHOT_PLATFORM_HOME": str(tmp_path), MAX_INFLIGHT_ENV: "many"})
    result = subprocess.run(
        [sys.executable, "-c", "import shot_platform.service"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert f"SettingsError: {MAX_INFLIGHT_ENV} must be a whole number of bytes, got 'many'" in result.stderr


@dataclass(frozen=True)
class _Nested:
    url: str | None = variable("TEST_DOMAIN_URL", "unset", "sync", "a provider", default=None)


@dataclass(frozen=True)
class _DomainSettings:
    """A domain's settings as a package outside the platform would declare them."""

    minimum: int = variable("TEST_DOMAIN_MIN", "`3`", "code location", "rows", default=3, what="a whole number of rows")
    rate: float = variable("TEST_DOMAIN_RATE", "`0.5`", "service", "a rate", default=0.5, what="a rate", minimum=0.01)
    data: Path | None = variable("TEST_DOMAIN_DATA", "unset", "research", "a file", default=None)
    nested: _Nested = field(default_factory=_Nested)


def test_a_domain_settings_class_is_read_by_the_one_reader(monkeypatch):
    assert read(_DomainSettings) == _DomainSettings()  # nothing set: the defaults
    values = {"TEST_DOMAIN_MIN": "7", "TEST_DOMAIN_RATE": "0.25", "TEST_DOMAIN_DATA": "a/b.csv", "TEST_DOMAIN_URL": "u"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert read(_DomainSettings) == _DomainSettings(7, 0.25, Path("a/b.csv"), _Nested("u"))
    assert [declared.name for declared in variables(_DomainSettings)] == list(values)
    monkeypatch.setenv("TEST_DOMAIN_RATE", "0")
    with pytest.raises(SettingsError, match=r"^TEST_DOMAIN_RATE must be a rate of at least 0.01, got '0'$"):
        read(_DomainSettings)
