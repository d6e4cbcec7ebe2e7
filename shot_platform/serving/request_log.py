"""Every prediction request, written to the store in batches off the request path.

The request thread only appends to a queue; a daemon thread writes up to
``batch_size`` rows at a time every ``interval_s``. If the database is down
the rows stay queued (up to ``max_pending``; beyond that the oldest are
dropped and counted) and are written when it returns.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading

from shot_platform.serving.schema import ShotRequest
from shot_platform.store import ShotStore

log = logging.getLogger(__name__)


class RequestLogWriter:
    def __init__(
        self, store: ShotStore, interval_s: float = 0.5, batch_size: int = 1000, max_pending: int = 200_000
    ) -> None:
        self.store, self.interval_s, self.batch_size = store, interval_s, batch_size
        self._pending: collections.deque[dict] = collections.deque(maxlen=max_pending)
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
        return len(self._pending)

    def record(self, shots: list[ShotRequest], probabilities, model_version: str, request_id: str) -> None:
        """Queue one row per shot; never blocks on the database."""
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "request_id": request_id,
                "requested_at": now,
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
        with self._lock:
            overflow = max(0, len(self._pending) + len(rows) - (self._pending.maxlen or 0))
            self.dropped += overflow
            self._pending.extend(rows)
        if len(self._pending) >= self.batch_size:
            self._wake.set()

    def flush(self) -> int:
        """Write everything queued now; returns rows written (0 if the database failed)."""
        written = 0
        while self._pending:
            with self._lock:
                batch = [self._pending.popleft() for _ in range(min(self.batch_size, len(self._pending)))]
            try:
                self.store.insert_request_log(batch)
            except Exception as error:
                with self._lock:
                    self._pending.extendleft(reversed(batch))
                log.warning("request log not written (%s rows pending): %s", len(self._pending), error)
                return written
            written += len(batch)
            self.written += len(batch)
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
