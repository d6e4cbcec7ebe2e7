"""A third domain registers without editing a shared file, and the platform finds it everywhere.

The domain (``third_domain/``: one asset, one model, one endpoint, one command) is declared the way
an installed package declares one: a ``dist-info`` with an ``entry_points.txt`` under the
``shot_platform.domains`` group, on the path. Nothing in ``shot_platform/`` names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

# Imported before the domain registers, as in a process that ran other tests first: the commands'
# choices (--model, --domain) must still offer it.
from shot_platform.cli import models as models_command  # noqa: F401
from shot_platform.core import domain as registry
from shot_platform_tests.service_process import running_service

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def declare(where: Path) -> Path:
    """A dist-info declaring the darts domain, as ``pip install`` of a domain package writes one."""
    info = where / "shot_platform_darts-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shot-platform-darts\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[shot_platform.domains]\ndarts = shot_platform_tests.third_domain.domain:DOMAIN\n"
    )
    return where


@pytest.fixture
def darts_path(tmp_path: Path) -> Iterator[Path]:
    """The declaration on sys.path for this process (the domain cache cleared around it)."""
    where = declare(tmp_path / "site")
    sys.path.insert(0, str(where))
    registry.domains.cache_clear()
    try:
        yield where
    finally:
        sys.path.remove(str(where))
        registry.domains.cache_clear()


def child_env(where: Path, home: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(where), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, "SHOT_PLATFORM_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def test_the_registry_finds_the_declared_domain(darts_path: Path):
    names = [d.name for d in registry.domains()]
    assert "darts" in names and {"shots", "free_throws"} <= set(names)
    assert registry.models()["dart_model"][0].name == "darts"


def test_its_command_is_in_the_help_and_runs(darts_path: Path, platform_home: Path):
    from shot_platform.cli import cli

    listing = CliRunner().invoke(cli, ["--help"])
    assert listing.exit_code == 0 and "darts" in listing.output
    assert "Say how many darts models are stored." in listing.output
    ran = CliRunner().invoke(cli, ["darts"])
    assert ran.exit_code == 0 and "darts models: 0" in ran.output, ran.output
    models = CliRunner().invoke(cli, ["models", "list", "--model", "dart_model"])
    assert models.exit_code == 0 and "no dart_model models" in models.output, models.output


def test_its_command_is_in_the_help_of_an_installed_cli(tmp_path: Path):
    where = declare(tmp_path / "site")
    result = subprocess.run(
        [str(BIN / "shot-platform"), "--help"], env=child_env(where, tmp_path / "home"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "darts" in result.stdout and "Say how many darts models are stored." in result.stdout


def test_its_asset_is_in_the_code_location(tmp_path: Path):
    where = declare(tmp_path / "site")
    code = (
        "import json; from shot_platform.definitions import defs; "
        "print(json.dumps(sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(where, tmp_path / "home"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    keys = json.loads(result.stdout.strip().splitlines()[-1])
    assert "dart_throws" in keys and "shot_model" in keys and "score_beater" in keys


@pytest.mark.slow  # starts the real service (every domain's unit)
def test_its_endpoint_is_served_and_its_model_is_in_readyz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from shot_platform.core.settings import Settings
    from shot_platform_tests.third_domain.model import DartModel, open_dart_models

    home = tmp_path / "home"
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(home))
    monkeypatch.delenv("SHOT_PLATFORM_MODEL_DIR", raising=False)
    monkeypatch.delenv("SHOT_PLATFORM_MODEL_STORE", raising=False)
    models = open_dart_models(Settings.from_env())
    models.promote(models.save(DartModel("1", 0.25, {"version": "1"})), "test champion")

    env = child_env(declare(tmp_path / "site"), home)
    env |= {"SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.3", "BENTOML_HOME": str(tmp_path / "bentoml")}
    env.pop("SHOT_PLATFORM_DATABASE_URL", None)
    command = [str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"]
    with running_service(command, env, tmp_path / "service.log") as url:
        answer = requests.post(f"{url}/darts/predict", json={"darts": 2}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"hit_probabilities": [0.25, 0.25], "model_version": "1"}
        ready = requests.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text  # ready: the darts model is serving
        report = ready.json()["models"]
        assert report["dart_model"] == {"state": "serving", "version": "1"}
        assert {"shot_model", "score_beater"} <= set(report)  # the other domains' entries are still there
        # The other domains' routes are unchanged by the third one.
        assert requests.post(f"{url}/predict", json={"shots": []}, timeout=10).status_code in (400, 422, 503)
        assert requests.get(f"{url}/v1/models/score_beater", timeout=10).status_code == 404
