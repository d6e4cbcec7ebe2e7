"""score_beater over TF Serving's REST API: latency, throughput and memory of the real service.

    python benchmarks/score_beater_serve.py [--saved-model DIR] [--port 5350] [--seconds 20]

Stores a SavedModel as score_beater version 1 in a fresh home (``--saved-model``: an exported
model directory; default: a small Keras model of score_beater's shape, built by
``shot_platform_tests/saved_models.py``), starts ``shot-platform serve`` on loopback and drives
``POST /v1/models/score_beater:predict`` with an async keep-alive client: one instance at
concurrency 1, then batches of 1,000 (row and columnar formats, concurrency 1 and 4). Then, with
the service stopped, times the same SavedModel in this process (``tf.saved_model.load``, the
signature called on ready tensors, TensorFlow on the service's thread settings) and, for an exported
shipped model, Keras ``model(x)`` of the same architecture on numpy columns. Resident memory
is measured for a service without any model and with score_beater loaded. The client shares the
2 cores with the service, so service figures are a floor. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import numpy as np
import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shot_platform.core.blobs import LocalBlobStore  # noqa: E402
from shot_platform.core.saved_model_store import SavedModelStore  # noqa: E402
from shot_platform_tests.saved_models import export_model, random_instances  # noqa: E402

BIN = Path(sys.executable).parent
PREDICT = "/v1/models/score_beater:predict"
BATCH = 1_000
P50_TARGET_MS = 5.0
RATIO_TARGET = 3.0


def free_port(first: int) -> int:
    for port in range(first, first + 50):
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return port
    sys.exit(f"no free port in {first}..{first + 49}")


@contextlib.contextmanager
def service(home: Path, port: int, log_path: Path, wait_ready: bool) -> Iterator[tuple[str, int]]:
    """``shot-platform serve`` until /livez (and /readyz if asked) answers; killed as a group."""
    env = {**os.environ, "SHOT_PLATFORM_HOME": str(home), "PYTHONPATH": str(ROOT)}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            path = "/readyz" if wait_ready else "/livez"
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    sys.exit(f"service exited:\n{log_path.read_text()[-3000:]}")
                with contextlib.suppress(requests.RequestException):
                    if requests.get(url + path, timeout=1).status_code == 200:
                        break
                time.sleep(0.3)
            else:
                sys.exit(f"service not up in 180 s:\n{log_path.read_text()[-3000:]}")
            yield url, process.pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def resident_mb(pid: int) -> tuple[float, float]:
    """(largest process, whole group) resident memory in MB: the worker serving requests is the largest."""
    root = psutil.Process(pid)
    sizes = [p.memory_info().rss / 1e6 for p in [root, *root.children(recursive=True)]]
    return max(sizes), sum(sizes)


def row_body(columns: dict[str, np.ndarray], start: int, count: int) -> bytes:
    rows = [{name: float(values[i]) for name, values in columns.items()} for i in range(start, start + count)]
    return json.dumps({"instances": rows}).encode()


def columnar_body(columns: dict[str, np.ndarray], start: int, count: int) -> bytes:
    return json.dumps(
        {"inputs": {name: values[start : start + count].tolist() for name, values in columns.items()}}
    ).encode()


async def drive(
    url: str, bodies: list[bytes], concurrency: int, seconds: float, limit: int
) -> tuple[list[float], float, int]:
    """Closed loop on keep-alive connections; returns (latencies ms, wall s, errors)."""
    latencies: list[float] = []
    errors = sent = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors, sent
        while sent < limit and time.perf_counter() < deadline:
            body = bodies[sent % len(bodies)]
            sent += 1
            start = time.perf_counter()
            async with session.post(url + PREDICT, data=body, headers=headers) as response:
                await response.read()
                errors += response.status != 200
            latencies.append((time.perf_counter() - start) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for body in bodies[:20]:  # warm-up: connections open, first requests served
            async with session.post(url + PREDICT, data=body, headers=headers) as response:
                await response.read()
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return latencies, wall, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process(model_dir: Path, columns: dict[str, np.ndarray]) -> dict[str, float]:
    """The signature called directly, on the service's TensorFlow settings."""
    from shot_platform.core.serving.tf_runtime import tensorflow

    tf = tensorflow()
    signature = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    figures = {}
    for rows in (1, BATCH):
        tensors = {name: tf.constant(values[:rows], dtype=tf.float32) for name, values in columns.items()}
        signature(**tensors)
        times = []
        for _ in range(300 if rows == 1 else 200):
            start = time.perf_counter()
            signature(**tensors)
            times.append(time.perf_counter() - start)
        figures[rows] = statistics.median(times)
    return figures


def keras_call(columns: dict[str, np.ndarray]) -> float:
    """Median seconds of Keras ``model(x)`` on 1,000 instances (numpy float32 columns), for the
    shipped architecture (``model.build_models``; the weights do not change the time)."""
    import pandas as pd

    from shot_platform.free_throws.model import MLPConfig, build_models, model_inputs

    serving, _ = build_models(pd.DataFrame({name: values[:5_000] for name, values in columns.items()}), MLPConfig())
    x = {name: values[:BATCH] for name, values in model_inputs(columns).items()}
    serving(x)
    times = []
    for _ in range(100):
        start = time.perf_counter()
        serving(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saved-model", type=Path, help="an exported SavedModel directory (default: test model)")
    parser.add_argument("--port", type=int, default=5350)
    parser.add_argument("--seconds", type=float, default=20.0, help="cap per measured phase")
    args = parser.parse_args()
    columns = random_instances(20_000, seed=5)

    with tempfile.TemporaryDirectory(prefix="score_beater_bench_") as temp:
        temp_path = Path(temp)
        model_dir = args.saved_model
        if model_dir is None:
            model_dir = temp_path / "export"
            export_model(model_dir, seed=1)
            print("model: the test model of score_beater's shape (9 named float inputs, Normalization, Dense 8, 1)")
        else:
            print(f"model: {model_dir}")
        empty, home = temp_path / "empty", temp_path / "home"
        store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
        store.promote(store.save(model_dir), "benchmark")

        with service(empty, free_port(args.port), temp_path / "empty.log", wait_ready=False) as (url, pid):
            time.sleep(3)
            without = resident_mb(pid)
        with service(home, free_port(args.port), temp_path / "service.log", wait_ready=True) as (url, pid):
            time.sleep(1)
            with_model = resident_mb(pid)
            print(
                f"resident memory, service worker (whole process group): no model {without[0]:.0f} MB "
                f"({without[1]:.0f} MB); score_beater loaded {with_model[0]:.0f} MB ({with_model[1]:.0f} MB)"
            )
            singles = [row_body(columns, i, 1) for i in range(500)]
            latencies, wall, errors = asyncio.run(drive(url, singles, 1, args.seconds, 5_000))
            p50 = pct(latencies, 0.5)
            verdict = "met" if p50 < P50_TARGET_MS else "NOT met"
            print(
                f"one instance, concurrency 1: {len(latencies) / wall:,.0f} req/s, p50 {p50:.2f} ms, "
                f"p99 {pct(latencies, 0.99):.2f} ms, errors {errors} (target p50 < {P50_TARGET_MS:g} ms: {verdict})"
            )
            batch_rates = {}
            for label, make in (("row", row_body), ("columnar", columnar_body)):
                bodies = [make(columns, i * BATCH, BATCH) for i in range(20)]
                for concurrency in (1, 4):
                    latencies, wall, errors = asyncio.run(drive(url, bodies, concurrency, args.seconds, 400))
                    rate = len(latencies) * BATCH / wall
                    batch_rates[label, concurrency] = rate
                    print(
                        f"batches of {BATCH:,} ({label}), concurrency {concurrency}: {rate:,.0f} instances/s, "
                        f"p50 {pct(latencies, 0.5):.1f} ms a batch, errors {errors}"
                    )
        # The service is stopped: the in-process figures do not share the cores with it.
        seconds = in_process(model_dir, columns)
    one, batch = seconds[1], seconds[BATCH]
    print(
        f"in process, signature on ready tensors: one instance {one * 1e3:.2f} ms; {BATCH:,} instances "
        f"{batch * 1e3:.2f} ms = {BATCH / batch:,.0f} instances/s"
    )
    best = max(batch_rates.values())
    ratio = BATCH / batch / best
    verdict = "met" if ratio <= RATIO_TARGET else "NOT met"
    print(
        f"service (best of formats and concurrencies) vs in-process signature on ready tensors: {ratio:.1f}x "
        f"slower (target within {RATIO_TARGET:g}x: {verdict})"
    )
    if args.saved_model is not None:  # the shipped architecture: the test model has another one
        keras_seconds = keras_call(columns)
        ratio = BATCH / keras_seconds / best
        verdict = "met" if ratio <= RATIO_TARGET else "NOT met"
        print(
            f"in process, Keras model(x) on {BATCH:,} instances (numpy columns): {keras_seconds * 1e3:.2f} ms = "
            f"{BATCH / keras_seconds:,.0f} instances/s; service vs it: {ratio:.1f}x "
            f"(target within {RATIO_TARGET:g}x: {verdict})"
        )


if __name__ == "__main__":
    main()
