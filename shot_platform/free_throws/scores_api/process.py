"""The replay server as a child process on a free loopback port (tests, benchmarks, the replay resource)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from shot_platform.core.settings import child_environment
from shot_platform.free_throws.scores_api.client import KEY_ENV

START_TIMEOUT_S = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_command(
    data: str | Path,
    *,
    release: int | str = "all",
    games_per_second: float | None = None,
    error_rate: float = 0.0,
    rate_limit: float | None = None,
    api_key: str | None = None,
    seed: int = 0,
    host: str = "127.0.0.1",
    port: int = 5100,
) -> list[str]:
    """The ``shot-platform scores-api serve`` command line for these settings."""
    executable = shutil.which("shot-platform", path=str(Path(sys.executable).parent))
    prefix = [executable] if executable else [sys.executable, "-c", "from shot_platform.cli import cli; cli()"]
    command = [*prefix, "scores-api", "serve", "--data", str(data), "--host", host, "--port", str(port)]
    command += ["--release", str(release), "--error-rate", str(error_rate), "--seed", str(seed)]
    if games_per_second:
        command += ["--games-per-second", str(games_per_second)]
    if rate_limit:
        command += ["--rate-limit", str(rate_limit)]
    if api_key:
        command += ["--api-key", api_key]
    return command


@contextlib.contextmanager
def replay_server(
    data: str | Path, *, log_path: str | Path | None = None, host: str = "127.0.0.1", **options
) -> Iterator[str]:
    """Start the replay server (options as :func:`serve_command`), wait for ``/livez``, yield its URL.

    The process gets its own session and is terminated (then killed) on exit.
    """
    port = free_port(host)
    command = serve_command(data, host=host, port=port, **options)
    env = child_environment(drop=(KEY_ENV,))  # only --api-key sets a key
    log_file = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="scores-api-", suffix=".log")[1])
    url = f"http://{host}:{port}"
    with log_file.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the replay server exited with {process.returncode}:\n{log_file.read_text()[-3000:]}"
                    )
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{url}/livez", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the replay server did not answer in {START_TIMEOUT_S:.0f} s:\n{log_file.read_text()[-3000:]}"
                    )
                time.sleep(0.1)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if not log_path:
                log_file.unlink(missing_ok=True)
