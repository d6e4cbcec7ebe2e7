"""Adaptive batching of concurrent requests into one model call.

No timer: a request that finds the scorer idle is scored at once (no added
latency at low load); requests arriving while a batch is being scored wait
and are scored together in the next call, so batches grow with the load.
BentoML's own ``batchable`` APIs need list-typed inputs and add a cork delay;
this keeps ``/predict`` accepting one item or a list, at single-item latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import numpy as np

from shot_platform.core.scorer import Scorer


class NoModelLoaded(LookupError):
    """No serving state yet: the service answers 503."""


@dataclass
class _Job:
    items: list[Any]
    future: asyncio.Future


class MicroBatcher:
    def __init__(
        self,
        state: Callable[[], Scorer | None],
        max_batch_rows: int = 4096,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._state, self.max_batch_rows, self.on_batch = state, max_batch_rows, on_batch
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None

    async def score(self, items: list[Any]) -> tuple[np.ndarray, str]:
        """Probabilities for these items and the version that scored them."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._drain())
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(items, future))
        return await future

    async def _drain(self) -> None:
        assert self._queue is not None
        while True:
            jobs = [await self._queue.get()]
            rows = len(jobs[0].items)
            while not self._queue.empty() and rows < self.max_batch_rows:
                job = self._queue.get_nowait()
                jobs.append(job)
                rows += len(job.items)
            try:
                await self._score(jobs, rows)
            except Exception as error:  # the worker must survive anything: hand the error to the requests
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(error)

    async def _score(self, jobs: list[_Job], rows: int) -> None:
        state = self._state()
        if state is None:
            raise NoModelLoaded("no model is loaded yet")
        items = [item for job in jobs for item in job.items]
        probabilities = await anyio.to_thread.run_sync(state.predict, items)
        if self.on_batch:
            self.on_batch(rows)
        start = 0
        for job in jobs:
            end = start + len(job.items)
            if not job.future.done():  # a request whose client went away
                job.future.set_result((probabilities[start:end], state.version))
            start = end
