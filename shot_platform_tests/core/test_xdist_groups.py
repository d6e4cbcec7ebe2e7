"""The suite's parallel runs keep a module with module-scoped fixtures in one worker (xdist_groups.py).

A small pytest run of two workers on two modules written here: a version of pytest or pytest-xdist on
which ``--dist loadgroup`` silently stops grouping (pytest 9.2 with xdist 3.8.0) fails this test
instead of starting every service twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GROUPED = """
import os, time
import pytest

@pytest.fixture(scope="module")
def built_once():
    return object()

@pytest.mark.parametrize("n", range(6))
def test_grouped(built_once, n):
    time.sleep(0.2)  # both workers busy at once: split tests would land on both
    with open("grouped.txt", "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""

SPREAD = """
import os, time
import pytest

@pytest.mark.parametrize("n", range(6))
def test_spread(n):
    time.sleep(0.2)
    with open("spread.txt", "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_a_module_with_module_scoped_fixtures_runs_in_one_worker(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's addopts
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_spread.py").write_text(SPREAD)
    command = [sys.executable, "-m", "pytest", "-p", "shot_platform_tests.xdist_groups", "-p", "no:randomly"]
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-q", "-c", "pytest.ini", "."],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    grouped = (tmp_path / "grouped.txt").read_text().split()
    spread = (tmp_path / "spread.txt").read_text().split()
    assert len(grouped) == 6 and len(set(grouped)) == 1, grouped
    assert len(spread) == 6 and set(spread) <= {"gw0", "gw1"}
