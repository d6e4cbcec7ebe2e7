"""Prediction-service throughput and latency against the same model in-process.

    python benchmarks/serve.py [--data PATH] [--keep-log]

Builds a fresh home (ingest + materialize, as a user would), starts
``shot-platform serve`` on a free loopback port and drives POST /predict with
an async keep-alive client: single shots at concurrency 1 and 32, then batches
of 1,000 shots. Then times the same model in this process (model only, and the
full clean + features + predict path). Uses ../shared/data when present, else
a synthetic season of 400 games. The client shares the machine's cores with
the service, so the service figures are a floor. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pandas as pd
import psutil

from shot_platform.shots.schema import CONTEXT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "shot_logs_2014-10_2015-01.csv.gz"
BIN = Path(sys.executable).parent
CONTEXT = CONTEXT_COLUMNS
BATCH_ROWS = 1_000
P50_TARGET_MS = 5.0
BATCH_TARGET_RATIO = 3.0


# ---------------------------------------------------------------- set-up


def run_cli(args: list[str], env: dict[str, str], timeout_s: float) -> float:
    """Run one ``shot-platform`` command as a user would; returns its wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "shot-platform"), *args], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        sys.exit(
            f"shot-platform {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return time.perf_counter() - start


def prepare_home(home: Path, data: Path | None, env: dict[str, str]) -> None:
    """Data in, model trained: the state a deployed service starts from."""
    if data is None:
        data = home / "synthetic.csv.gz"
        seconds = run_cli(["generate", "shots", "--games", "400", "-o", str(data)], env, 600)
        print(f"real data absent: generated 400 synthetic games in {seconds:.1f} s")
    print(f"data: {data}")
    print(f"ingest: {run_cli(['ingest', 'shots', str(data)], env, 1200):.1f} s")
    print(f"materialize: {run_cli(['materialize'], env, 3600):.1f} s")


def request_rows(url: str, n: int, seed: int = 0) -> pd.DataFrame:
    """A random sample of stored shots' context columns: real, known players."""
    from shot_platform.shots.store import ShotStore

    store = ShotStore(url)
    shots = store.load_shots()
    store.dispose()
    return shots.loc[:, list(CONTEXT)].sample(n=min(n, len(shots)), random_state=seed).reset_index(drop=True)


def to_bodies(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe request objects (missing shot clock as null, not NaN)."""
    records = frame.to_dict("records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in records]


# ---------------------------------------------------------------- the service process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout_s: float = 2.0) -> tuple[int, str]:
    """Status and body; a refused connection is status 0 (the service is not up yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


@contextlib.contextmanager
def running_service(env: dict[str, str], log_path: Path, ready_timeout_s: float = 180) -> Iterator[tuple[str, int]]:
    """``shot-platform serve`` until /readyz is 200; yields (base URL, pid). Killed as a group, always."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        start = time.perf_counter()
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"service exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if http_get(f"{url}/readyz")[0] == 200:
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"service not ready in {ready_timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")
        print(f"service ready on {url} after {time.perf_counter() - start:.1f} s")
        yield url, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def group_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the service and its worker processes so far."""
    total = 0.0
    with contextlib.suppress(psutil.NoSuchProcess):
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def batch_histogram(url: str) -> tuple[float, float]:
    """(model calls, rows scored) from the service's shot_batch_rows histogram."""
    status, text = http_get(f"{url}/metrics", timeout_s=5)
    calls = rows = 0.0
    if status == 200:
        for line in text.splitlines():
            if line.startswith("shot_batch_rows_count"):
                calls += float(line.rsplit(" ", 1)[1])
            elif line.startswith("shot_batch_rows_sum"):
                rows += float(line.rsplit(" ", 1)[1])
    return calls, rows


# ---------------------------------------------------------------- load generation


@dataclass
class LoadResult:
    label: str
    requests: int
    rows: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    service_cpu_s: float
    client_cpu_s: float
    calls: float
    call_rows: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def report(self) -> None:
        rows = f", {self.rows_per_s:,.0f} rows/s" if self.rows != self.requests else ""
        print(
            f"{self.label}: {self.requests:,} requests in {self.seconds:.1f} s = {self.rps:,.0f} req/s{rows}; "
            f"p50 {self.pct(0.50):.1f} ms, p99 {self.pct(0.99):.1f} ms; errors {self.errors}"
        )
        mean_batch = f", mean {self.call_rows / self.calls:,.1f} rows per model call" if self.calls else ""
        print(
            f"  CPU: service {self.service_cpu_s:.1f} s, client {self.client_cpu_s:.1f} s "
            f"over {self.seconds:.1f} s wall{mean_batch}"
        )


async def drive(url: str, bodies: list[bytes], rows_per_body: int, concurrency: int, count: int, cap_s: float):
    """Closed loop: ``concurrency`` workers on keep-alive connections, until ``count`` requests or ``cap_s``."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + cap_s
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors, sent
        while sent < count and time.perf_counter() < deadline:
            body = bodies[sent % len(bodies)]
            sent += 1
            start = time.perf_counter()
            try:
                async with session.post(f"{url}/predict", data=body, headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            latencies.append((time.perf_counter() - start) * 1000)
            errors += not ok

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return len(latencies), len(latencies) * rows_per_body, errors, seconds, latencies


def load(
    label: str, url: str, pid: int, bodies: list[bytes], rows_per_body: int, concurrency: int, count: int, cap_s: float
) -> LoadResult:
    """One measured phase, with the CPU each side spent and the service's batching."""
    calls0, rows0 = batch_histogram(url)
    service0, client0 = group_cpu_s(pid), time.process_time()
    requests, rows, errors, seconds, latencies = asyncio.run(
        drive(url, bodies, rows_per_body, concurrency, count, cap_s)
    )
    service1, client1 = group_cpu_s(pid), time.process_time()
    calls1, rows1 = batch_histogram(url)
    result = LoadResult(
        label, requests, rows, errors, seconds, latencies, service1 - service0, client1 - client0,
        calls1 - calls0, rows1 - rows0,
    )  # fmt: skip
    result.report()
    return result


# ---------------------------------------------------------------- in-process


def median_s(fn: Callable[[], object], reps: int, cap_s: float) -> float:
    """Median wall time of ``fn`` over up to ``reps`` runs (fewer if ``cap_s`` runs out)."""
    fn()
    times: list[float] = []
    deadline = time.perf_counter() + cap_s
    while len(times) < reps and (not times or time.perf_counter() < deadline):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_in_process(home: Path, frame: pd.DataFrame) -> dict[str, float]:
    """Seconds per row for the model alone, the scoring path, and the service's own path incl. validation."""
    from shot_platform.shots.features.frame import build_features
    from shot_platform.shots.features.player import PlayerRecords
    from shot_platform.shots.ingest.cleaning import clean_shots
    from shot_platform.shots.models.registry import shot_models_at
    from shot_platform.shots.scoring import CURRENT_PROFILE_DATE
    from shot_platform.shots.serving.schema import ShotsInput, requests_columns
    from shot_platform.shots.serving.state import ServingState
    from shot_platform.shots.store import ShotStore

    model = shot_models_at(home / "models").load()
    store = ShotStore(f"sqlite:///{home / 'store.db'}")
    records = PlayerRecords(store.load_player_profiles())
    store.dispose()
    print(f"model {model.version}: {type(model.estimator).__name__}, {len(model.feature_columns)} features")

    def full(rows: pd.DataFrame):
        return model.predict_proba(build_features(clean_shots(rows.assign(game_date=CURRENT_PROFILE_DATE)), records))

    many, one = frame.head(BATCH_ROWS), frame.head(1)
    features = build_features(clean_shots(many.assign(game_date=CURRENT_PROFILE_DATE)), records)
    state = ServingState(model, records, (), dt.datetime.now(dt.UTC))
    json_many = json.dumps(to_bodies(many)).encode()
    json_one = json.dumps(to_bodies(one)[0]).encode()
    n = len(many)
    out = {
        "model_1000": median_s(lambda: model.predict_proba(features), 30, 20) / n,
        "model_1": median_s(lambda: model.predict_proba(features.head(1)), 300, 10),
        "full_1000": median_s(lambda: full(many), 30, 20) / n,
        "full_1": median_s(lambda: full(one), 300, 10),
        "service_path_1000": median_s(lambda: state.predict(ShotsInput.model_validate_json(json_many).root), 30, 20)
        / n,
        "service_path_1": median_s(lambda: state.predict(ShotsInput.model_validate_json(json_one).root), 300, 10),
    }
    print(
        f"in-process, model only: {out['model_1000'] * 1e6:.2f} us/row at {n:,} rows; "
        f"{out['model_1'] * 1e3:.2f} ms for 1 row"
    )
    print(
        f"in-process, clean + features + predict: {out['full_1000'] * 1e6:.2f} us/row at {n:,} rows "
        f"= {1 / out['full_1000']:,.0f} rows/s; {out['full_1'] * 1e3:.2f} ms for 1 row"
    )
    print(
        f"in-process, the service's path (validate JSON + frame + the above): "
        f"{out['service_path_1000'] * 1e6:.2f} us/row at {n:,} rows; {out['service_path_1'] * 1e3:.2f} ms for 1 row"
    )
    one_dated = one.assign(game_date=CURRENT_PROFILE_DATE)
    one_clean = clean_shots(one_dated)
    steps = {
        "validate+frame": median_s(lambda: requests_columns(ShotsInput.model_validate_json(json_one).root), 300, 5),
        "clean": median_s(lambda: clean_shots(one_dated), 300, 5),
        "features": median_s(lambda: build_features(one_clean, records), 300, 5),
        "predict": out["model_1"],
    }
    print("  1-row breakdown: " + ", ".join(f"{name} {seconds * 1e3:.2f} ms" for name, seconds in steps.items()))
    return out


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REAL if REAL.exists() else None)
    parser.add_argument("--keep-log", action="store_true", help="print the service log's tail at the end")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shot_serve_bench_") as tmp:
        home = Path(tmp)
        env = {
            **os.environ,
            "SHOT_PLATFORM_HOME": str(home),
            "DAGSTER_HOME": str(home / "dagster"),
        }
        for name in ("SHOT_PLATFORM_DATABASE_URL", "SHOT_PLATFORM_MODEL_DIR"):
            env.pop(name, None)
        os.environ.update({k: env[k] for k in ("SHOT_PLATFORM_HOME", "DAGSTER_HOME")})
        prepare_home(home, args.data, env)

        frame = request_rows(f"sqlite:///{home / 'store.db'}", 5_000)
        singles = [json.dumps(body).encode() for body in to_bodies(frame)]
        starts = range(0, len(frame) - BATCH_ROWS + 1, BATCH_ROWS)
        batches = [json.dumps(to_bodies(frame.iloc[i : i + BATCH_ROWS])).encode() for i in starts]
        print(
            f"request bodies: {len(singles):,} single shots (~{len(singles[0])} B), "
            f"{len(batches)} batches of {BATCH_ROWS:,} (~{len(batches[0]) // 1024} KiB)"
        )

        local = bench_in_process(home, frame)

        log_path = home / "serve.log"
        try:
            with running_service(env, log_path) as (url, pid):
                asyncio.run(drive(url, singles, 1, 4, 200, 30))
                asyncio.run(drive(url, batches, BATCH_ROWS, 1, 3, 30))
                c1 = load("single shots, c=1", url, pid, singles, 1, 1, 2_000, 30)
                c32 = load("single shots, c=32", url, pid, singles, 1, 32, 5_000, 40)
                b1 = load(f"batches of {BATCH_ROWS:,}, c=1", url, pid, batches, BATCH_ROWS, 1, 200, 20)
                b4 = load(f"batches of {BATCH_ROWS:,}, c=4", url, pid, batches, BATCH_ROWS, 4, 200, 20)
        finally:
            if args.keep_log and log_path.exists():
                print(log_path.read_text()[-3000:])

    local_rps = 1 / local["full_1000"]
    best_batch = max(b1.rows_per_s, b4.rows_per_s)
    ratio = local_rps / best_batch
    print()
    print(
        f"batched service vs in-process full path: {best_batch:,.0f} vs {local_rps:,.0f} rows/s = {ratio:.2f}x slower "
        f"(target <= {BATCH_TARGET_RATIO:.0f}x: {'met' if ratio <= BATCH_TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"single shot c=1 p50: {c1.pct(0.5):.2f} ms vs {P50_TARGET_MS:.0f} ms target "
        f"({c1.pct(0.5) / P50_TARGET_MS:.2f}x of it: {'met' if c1.pct(0.5) <= P50_TARGET_MS else 'NOT met'}); "
        f"in-process the same path is {local['service_path_1'] * 1e3:.2f} ms"
    )
    print()
    print("| Measure | Value |")
    print("|---|---|")
    print(f"| Single shot, c=1 | {c1.rps:,.0f} req/s, p50 {c1.pct(0.5):.1f} ms, p99 {c1.pct(0.99):.1f} ms |")
    print(f"| Single shot, c=32 | {c32.rps:,.0f} req/s, p50 {c32.pct(0.5):.1f} ms, p99 {c32.pct(0.99):.1f} ms |")
    print(
        f"| Batches of {BATCH_ROWS:,}, sequential | {b1.rows_per_s:,.0f} rows/s, p50 {b1.pct(0.5):.0f} ms per batch |"
    )
    print(f"| Batches of {BATCH_ROWS:,}, c=4 | {b4.rows_per_s:,.0f} rows/s, p50 {b4.pct(0.5):.0f} ms per batch |")
    print(f"| In-process, model only | {local['model_1000'] * 1e6:.1f} us/row ({BATCH_ROWS:,} rows) |")
    print(
        f"| In-process, clean + features + predict | {local['full_1000'] * 1e6:.1f} us/row ({BATCH_ROWS:,} rows), "
        f"{local['full_1'] * 1e3:.2f} ms (1 row) |"
    )
    print(f"| Service batched vs in-process | {ratio:.2f}x slower (target <= {BATCH_TARGET_RATIO:.0f}x) |")


if __name__ == "__main__":
    main()
