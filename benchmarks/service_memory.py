"""Peak and resting memory of the service's worker under very large TF Serving requests.

    python benchmarks/service_memory.py [--rounds 3] [--concurrency 16] [--instances 300000]

Stores the test model of score_beater's shape as version 1 in a fresh home, starts
``shot-platform serve`` on loopback and sends, ``--concurrency`` at a time and ``--rounds`` times,
columnar ``POST /v1/models/score_beater:predict`` requests of ``--instances`` instances with
one-digit numbers (300,000 instances: 7.8 MB, just under the 8 MiB body limit; the probe's load
of issue 13); then the largest requests the service scores (``--largest`` row-format
instances); then ``POST /predict`` bodies of 30,000 shots (6.7 MB; at most 10,000 are taken).
Each load runs on a fresh service. Prints the worker's resident memory before the load, its
peak during it (sampled every 20 ms, and the kernel's high-water mark) and at rest 5 s after it,
and the answers' status codes; asserts nothing. Loopback only; each request has a 120 s deadline.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from score_beater_serve import free_port, service  # noqa: E402

from shot_platform.core.blobs import LocalBlobStore  # noqa: E402
from shot_platform.core.saved_model_store import SavedModelStore  # noqa: E402
from shot_platform.free_throws.inputs import INPUT_NAMES  # noqa: E402
from shot_platform_tests.saved_models import VALID_INSTANCE, export_model  # noqa: E402

PREDICT = "/v1/models/score_beater:predict"
MB = 1e6


def worker_process(group_leader: int) -> psutil.Process:
    """The process of the group that serves requests: the largest one (it holds TensorFlow)."""
    root = psutil.Process(group_leader)
    return max([root, *root.children(recursive=True)], key=lambda p: p.memory_info().rss)


def high_water_mb(process: psutil.Process) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / MB
    return float("nan")


class PeakSampler:
    """The largest resident memory of a process seen by a thread sampling every 20 ms."""

    def __init__(self, process: psutil.Process) -> None:
        self.process, self.peak = process, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss / MB)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def columnar_giant(instances: int) -> bytes:
    column = "[" + ",".join(["1"] * instances) + "]"
    return ('{"inputs":{' + ",".join(f'"{name}":{column}' for name in INPUT_NAMES) + "}}").encode()


def row_body(instances: int) -> bytes:
    return json.dumps({"instances": [VALID_INSTANCE] * instances}).encode()


def shots_body(shots: int) -> bytes:
    shot = {
        "SHOT_DIST": 12.5, "CLOSE_DEF_DIST": 3.1, "SHOT_CLOCK": 10.0, "DRIBBLES": 2, "TOUCH_TIME": 2.1,
        "PERIOD": 1, "GAME_CLOCK": "5:12", "PTS_TYPE": 2, "LOCATION": "H", "player_id": 201289,
        "CLOSEST_DEFENDER_PLAYER_ID": 202667,
    }  # fmt: skip
    return json.dumps([shot] * shots).encode()


def load(url: str, body: bytes, concurrency: int, rounds: int, deadline_s: float) -> tuple[collections.Counter, float]:
    """``rounds`` x ``concurrency`` posts of ``body``, ``concurrency`` at a time; status counts, wall s."""
    statuses: collections.Counter = collections.Counter()
    stop_at = time.monotonic() + deadline_s

    def post(_: int) -> None:
        if time.monotonic() > stop_at:
            statuses["skipped (deadline)"] += 1
            return
        try:
            answer = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=120)
            key = str(answer.status_code)
            if answer.status_code != 200:
                key += " " + answer.json().get("error", "")[:70]
            statuses[key] += 1
        except requests.RequestException as error:
            statuses[type(error).__name__] += 1

    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(concurrency * rounds)))
    return statuses, time.monotonic() - start


def measure(url: str, process: psutil.Process, label: str, body: bytes, args: argparse.Namespace) -> None:
    """One load on ``url`` (the route's full URL) and the worker's memory around it."""
    before = process.memory_info().rss / MB
    with PeakSampler(process) as sampler:
        statuses, wall = load(url, body, args.concurrency, args.rounds, args.deadline)
    time.sleep(5)
    rest = process.memory_info().rss / MB
    print(
        f"{label} ({len(body) / MB:.1f} MB a body, {args.concurrency} at a time, {args.rounds} rounds, {wall:.1f} s): "
        f"worker RSS before {before:,.0f} MB, peak {sampler.peak:,.0f} MB "
        f"(high-water mark {high_water_mb(process):,.0f} MB), at rest {rest:,.0f} MB"
    )
    for status, count in sorted(statuses.items()):
        print(f"    {count:3d} x {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5360)
    parser.add_argument("--instances", type=int, default=300_000, help="instances in each giant request")
    parser.add_argument("--largest", type=int, default=10_000, help="instances in each largest accepted request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", default="columnar,row,shots", help="the loads to run, in this order")
    parser.add_argument("--deadline", type=float, default=240.0, help="no new request after this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="service_memory_") as temp:
        temp_path = Path(temp)
        export_model(temp_path / "export", seed=1)
        home = temp_path / "home"
        store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
        store.promote(store.save(temp_path / "export"), "benchmark")
        loads = {
            "columnar": (PREDICT, f"{args.instances:,}-instance columnar requests", columnar_giant(args.instances)),
            "row": (PREDICT, f"{args.largest:,}-instance row requests", row_body(args.largest)),
            "shots": ("/predict", "POST /predict with 30,000 shots", shots_body(30_000)),
        }
        for phase in args.phases.split(","):
            route, label, body = loads[phase]
            # A fresh service for each load: what one load leaves behind does not count in the next.
            log = temp_path / f"service-{phase}.log"
            with service(home, free_port(args.port), log, wait_ready=True) as (url, pid):
                time.sleep(2)
                process = worker_process(pid)
                measure(url + route, process, label, body, args)
                small = requests.post(url + PREDICT, json={"instances": [VALID_INSTANCE]}, timeout=30)
                print(f"    then one instance: {small.status_code} {small.text[:80]}")


if __name__ == "__main__":
    main()
