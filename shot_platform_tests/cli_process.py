"""``shot-platform materialize`` in a child process, for tests whose run loads TensorFlow (training or
scoring score_beater): TensorFlow stays out of the pytest process (see ``saved_models.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def materialise(*args: str, timeout: float = 900) -> str:
    """Run ``materialize ARGS`` with this process's environment (the test's $SHOT_PLATFORM_HOME);
    assert it succeeds and return its stdout and stderr (notes such as a skipped group go to stderr)."""
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    code = "from shot_platform.cli import cli; cli()"
    result = subprocess.run(
        [sys.executable, "-c", code, "materialize", *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout + result.stderr
