"""The suite's parallel runs keep a module with module-scoped fixtures in one worker and hand out the
slow tests first (xdist_groups.py).

A small pytest run of two workers on modules written here: a version of pytest or pytest-xdist on
which ``--dist loadgroup`` silently stops grouping (pytest 9.2 with xdist 3.8.0) fails this test
instead of starting every service twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each test notes its kind when it starts (order.txt) and its worker when it ends (<kind>.txt).
TEST = """
import os, time
import pytest

def note(kind):
    with open("order.txt", "a") as out:
        out.write(kind + " ")
    time.sleep(0.2)  # both workers busy at once: a split group would land on both
    with open(kind + ".txt", "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + " ")
"""
GROUPED = """
@pytest.fixture(scope="module")
def built_once():
    return object()

@pytest.mark.parametrize("n", range(6))
def test_grouped(built_once, n):
    note("grouped")
"""
SINGLE = """
@pytest.mark.parametrize("n", range(4))
def test_{kind}(n):
    note("{kind}")
"""


def test_a_module_with_module_scoped_fixtures_runs_in_one_worker_and_slow_tests_go_first(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers = slow\n")  # not the project's addopts
    (tmp_path / "test_grouped.py").write_text(TEST + GROUPED)
    # collected before the slow ones (no random order here): handed out after them all the same
    (tmp_path / "test_a_quick.py").write_text(TEST + SINGLE.format(kind="quick"))
    (tmp_path / "test_b_slow.py").write_text(TEST + "pytestmark = pytest.mark.slow\n" + SINGLE.format(kind="slow"))
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
    assert len(grouped) == 6 and len(set(grouped)) == 1, grouped
    singles = [kind for kind in (tmp_path / "order.txt").read_text().split() if kind != "grouped"]
    assert singles[0] == "slow" and sorted(singles) == ["quick"] * 4 + ["slow"] * 4, singles
