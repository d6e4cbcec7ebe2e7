"""Start the real prediction service as a process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_service(command: list[str], env: dict[str, str], log_path: Path, cwd: Path | None = None) -> Iterator[str]:
    """Run ``command`` (which must take --port last) until /livez answers; yields the base URL."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"service exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/livez", timeout=1).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"service did not start in 90 s:\n{log_path.read_text()[-3000:]}")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.2):
    """Poll until predicate() is truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def metric_samples(base_url: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric on the service's /metrics (labels, value); BentoML's
    multi-process mode may add a ``pid`` label."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base_url}/metrics", timeout=5).text
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def shot_readiness(base_url: str) -> tuple[int, dict]:
    """``/readyz``'s status code and the shot model's entry (served version, registry champion, ...)."""
    answer = requests.get(f"{base_url}/readyz", timeout=5)
    return answer.status_code, answer.json()["models"]["shot_model"]
