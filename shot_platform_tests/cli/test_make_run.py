"""`make run`'s pieces: the Makefile's commands with the port variables, the replay server it starts on the
demo's data releasing games at a pace, and the summary naming where to look. (The UI itself is
`dg dev`, started by hand; the demo's first half is test_demo.py.)"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shot_platform.cli.demo import where_to_look
from shot_platform.core.settings import Settings
from shot_platform.free_throws.commands.data import remember_demo_file
from shot_platform.free_throws.scores_api.process import free_port
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

ROOT = Path(__file__).resolve().parents[2]


def planned(*variables: str) -> list[str]:
    """The commands `make run` would run (make -n), one per line."""
    result = subprocess.run(["make", "-n", "-C", str(ROOT), "run", *variables], capture_output=True, text=True,
                            timeout=60, check=True)  # fmt: skip
    return result.stdout.splitlines()


def test_make_run_passes_every_port_variable_and_keeps_the_defaults() -> None:
    default = "\n".join(planned())
    assert "--ui-port 3000" in default and "--scores-api-port 5100" in default
    assert "--port 5100 --release 0 --games-per-second 2" in default
    assert (
        "SHOT_PLATFORM_SCORES_API_URL=http://127.0.0.1:5100" in default
        and "dg dev --host 0.0.0.0 --port 3000" in default
    )
    chosen = "\n".join(planned("UI_PORT=3100", "SCORES_API_PORT=18401", "GAMES_PER_SECOND=5"))
    assert "--ui-port 3100" in chosen and "dg dev --host 0.0.0.0 --port 3100" in chosen
    assert "--port 18401 --release 0 --games-per-second 5" in chosen
    assert "SHOT_PLATFORM_SCORES_API_URL=http://127.0.0.1:18401" in chosen
    serve = subprocess.run(["make", "-n", "-C", str(ROOT), "serve", "SERVE_PORT=18402"], capture_output=True,
                           text=True, timeout=60, check=True).stdout  # fmt: skip
    assert "shot-platform serve --port 18402" in serve


def test_the_summary_says_where_the_loop_moves() -> None:
    assert where_to_look(3000, None) == [
        "Dagster UI: http://127.0.0.1:3000 (Lineage shows the graph; each asset's page its metadata, plots and checks)"
    ]
    lines = "\n".join(where_to_look(3100, 18401))
    assert "http://127.0.0.1:18401/replay/status" in lines and "http://127.0.0.1:3100/runs" in lines
    # The sensors come from the code location (shared code names no domain).
    assert "free_throw_games_sensor" in lines and "materialisations" in lines and "retraining" in lines


@pytest.mark.slow
def test_the_replay_server_of_make_run_serves_the_demo_data_and_releases_games(
    platform_home: Path, tmp_path: Path
) -> None:
    data = write_free_throws(generate_free_throws(seasons=1, regular_games=40, seed=2), tmp_path / "ft.csv.gz")
    port = free_port()
    (line,) = [line for line in planned(f"SCORES_API_PORT={port}", "GAMES_PER_SECOND=20") if "scores-api serve" in line]
    command = shlex.split(line.split(" & ")[0])
    command[0] = str(Path(sys.executable).parent / "shot-platform")  # this environment's, as make's $(BIN) is

    missing = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert missing.returncode == 1 and "run `shot-platform demo` first" in missing.stderr

    remember_demo_file(Settings.from_env(), data)  # what `shot-platform demo` does after its ingest
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)  # fmt: skip
    try:
        released = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(set(released)) < 3:
            with contextlib.suppress(requests.ConnectionError):  # not listening yet
                status = requests.get(f"http://127.0.0.1:{port}/replay/status", timeout=5).json()["data"]
                assert status["source"] == str(data.resolve()) or status["source"].endswith(data.name), status
                released.append(status["final_games"])
            time.sleep(0.3)
        # it started with no result final and released more as time passed
        assert len(set(released)) >= 3 and released == sorted(released), released
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
