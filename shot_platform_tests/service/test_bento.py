"""`bentoml build` produces a Bento from bento/, and the service runs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from shot_platform_tests.service_process import BIN, running_service, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # builds a wheel and a Bento, serves it


def test_bento_builds_and_serves(trained_home: Path, tmp_path: Path):
    build_dir, bentoml_home = tmp_path / "bento", tmp_path / "bentoml_home"
    shutil.copytree(ROOT / "bento", build_dir, ignore=shutil.ignore_patterns("wheels"))
    env = {"BENTOML_HOME": str(bentoml_home)}
    subprocess.run(
        [str(BIN / "pip"), "wheel", "--quiet", "--no-deps", "--wheel-dir", str(build_dir / "wheels"), str(ROOT)],
        check=True,
    )
    built = subprocess.run(
        [str(BIN / "bentoml"), "build"], cwd=build_dir, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    bento = next((bentoml_home / "bentos" / "shot_platform").glob("*/bento.yaml"))
    manifest = bento.read_text()
    assert "service: service:PlatformService" in manifest and "shot_platform" in manifest
    assert any((bento.parent / "env" / "python" / "wheels").glob("shot_platform-*.whl"))

    command = [str(BIN / "bentoml"), "serve", "shot_platform:latest", "--host", "127.0.0.1"]
    with running_service(command, {**env, "SHOT_PLATFORM_HOME": str(trained_home)}, tmp_path / "log") as url:
        wait_for(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, timeout=60)
        shot = {
            "SHOT_DIST": 3.0, "CLOSE_DEF_DIST": 5.0, "DRIBBLES": 0, "TOUCH_TIME": 1.0, "PERIOD": 2,
            "GAME_CLOCK": "3:00", "PTS_TYPE": 2, "LOCATION": "A", "player_id": 1, "CLOSEST_DEFENDER_PLAYER_ID": 2,
        }  # fmt: skip
        answer = requests.post(f"{url}/predict", json=shot, timeout=30)
        assert answer.status_code == 200 and 0 < answer.json()["make_probability"] < 1
