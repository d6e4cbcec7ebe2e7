"""Every prediction request, written to the store in batches off the request path.

The request path only appends (shots, probabilities, version) to a queue; a
daemon thread turns them into rows and writes up to ``batch_size`` rows at a
time every ``interval_s``. If the database is down the rows stay queued (up to
``max_pending`` rows; beyond that the oldest requests are dropped and counted)
and are written when it returns.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading

from sqlalchemy.exc import OperationalError

from shot_platform.shots.serving.schema import ShotRequest
from shot_platform.shots.store import ShotStore

log = logging.getLogger(__name__)


class RequestLogWriter:
    def __init__(
        self, store: ShotStore, interval_s: float = 0.5, batch_size: int = 1000, max_pending: int = 200_000
    ) -> None:
        self.store, self.interval_s, self.batch_size = store, interval_s, batch_size
        self.max_pending = max_pending
        self._requests: collections.deque[tuple] = collections.deque()
        self._queued_rows = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.written = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)

    def start(self) -> RequestLogWriter:
        self._thread.start()
        return self

    @property
    def pending(self) -> int:
        return self._queued_rows

    def record(self, shots: list[ShotRequest], probabilities, model_version: str, request_id: str) -> None:
        """Queue the request; rows are built and written by the writer thread, never on the request path."""
        with self._lock:
            overflow = max(0, self._queued_rows + len(shots) - self.max_pending)
            if overflow:  # drop the oldest whole requests to stay within max_pending rows
                while self._requests and overflow > 0:
                    dropped = self._requests.popleft()
                    overflow -= len(dropped[0])
                    self._queued_rows -= len(dropped[0])
                    self.dropped += len(dropped[0])
            self._requests.append((shots, probabilities, model_version, request_id, dt.datetime.now(dt.UTC)))
            self._queued_rows += len(shots)
        if self._queued_rows >= self.batch_size:
            self._wake.set()

    @staticmethod
    def _rows(request: tuple) -> list[dict]:
        shots, probabilities, model_version, request_id, requested_at = request
        return [
            {
                "request_id": request_id,
                "requested_at": requested_at,
                "model_version": model_version,
                "make_probability": float(probability),
                "game_id": shot.GAME_ID,
                "player_id": shot.player_id,
                "shot_number": shot.SHOT_NUMBER,
                "closest_defender_player_id": shot.CLOSEST_DEFENDER_PLAYER_ID,
                "inputs": shot.model_dump_json(),
            }
            for shot, probability in zip(shots, probabilities, strict=True)
        ]

    def flush(self) -> int:
        """Write everything queued now; returns rows written (stops early if the database fails)."""
        written = 0
        while True:
            with self._lock:
                batch: list[tuple] = []
                rows = 0
                while self._requests and (not batch or rows + len(self._requests[0][0]) <= self.batch_size):
                    request = self._requests.popleft()
                    batch.append(request)
                    rows += len(request[0])
                self._queued_rows -= rows
            if not batch:
                return written
            try:
                self.store.insert_request_log([row for request in batch for row in self._rows(request)])
            except OperationalError as error:  # the database is unreachable: keep the rows, retry next tick
                with self._lock:
                    self._requests.extendleft(reversed(batch))
                    self._queued_rows += rows
                log.warning("request log not written (%s rows pending): %s", self._queued_rows, error)
                return written
            except Exception as error:  # a row the database refuses must not block every later one
                log.warning("request log batch refused (%s), writing its rows one by one", error)
                rows = self._write_one_by_one(batch)
            written += rows
            self.written += rows

    def _write_one_by_one(self, batch: list[tuple]) -> int:
        written = 0
        for row in (row for request in batch for row in self._rows(request)):
            try:
                self.store.insert_request_log([row])
                written += 1
            except Exception as error:
                self.dropped += 1
                log.error("request log row dropped (%s): %s", error, row)
        return written

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self.flush()
