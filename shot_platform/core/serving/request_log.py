"""Every prediction request, written to the store in batches off the request path.

Domain-free: the domain passes ``to_rows`` (one queued request -> table rows)
and ``insert`` (write rows to its table). The request path only appends
(items, probabilities, version) to a queue; a
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
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


class LoggedRequest(NamedTuple):
    """One request as queued: what the domain's ``to_rows`` turns into table rows."""

    items: list[Any]
    probabilities: Any
    model_version: str
    request_id: str
    requested_at: dt.datetime


class RequestLogWriter:
    def __init__(
        self,
        insert: Callable[[list[dict]], None],
        to_rows: Callable[[LoggedRequest], list[dict]],
        interval_s: float = 0.5,
        batch_size: int = 1000,
        max_pending: int = 200_000,
    ) -> None:
        self.insert, self.to_rows = insert, to_rows
        self.interval_s, self.batch_size = interval_s, batch_size
        self.max_pending = max_pending
        self._requests: collections.deque[LoggedRequest] = collections.deque()
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

    def record(self, items: list[Any], probabilities, model_version: str, request_id: str) -> None:
        """Queue the request; rows are built and written by the writer thread, never on the request path."""
        with self._lock:
            overflow = max(0, self._queued_rows + len(items) - self.max_pending)
            if overflow:  # drop the oldest whole requests to stay within max_pending rows
                while self._requests and overflow > 0:
                    dropped = self._requests.popleft()
                    overflow -= len(dropped[0])
                    self._queued_rows -= len(dropped[0])
                    self.dropped += len(dropped[0])
            now = dt.datetime.now(dt.UTC)
            self._requests.append(LoggedRequest(items, probabilities, model_version, request_id, now))
            self._queued_rows += len(items)
        if self._queued_rows >= self.batch_size:
            self._wake.set()

    def flush(self) -> int:
        """Write everything queued now; returns rows written (stops early if the database fails)."""
        written = 0
        while True:
            with self._lock:
                batch: list[LoggedRequest] = []
                rows = 0
                while self._requests and (not batch or rows + len(self._requests[0][0]) <= self.batch_size):
                    request = self._requests.popleft()
                    batch.append(request)
                    rows += len(request[0])
                self._queued_rows -= rows
            if not batch:
                return written
            try:
                self.insert([row for request in batch for row in self.to_rows(request)])
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

    def _write_one_by_one(self, batch: list[LoggedRequest]) -> int:
        written = 0
        for row in (row for request in batch for row in self.to_rows(request)):
            try:
                self.insert([row])
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
