"""How much request data the service works on at once, and giving memory back afterwards.

A request's memory is a multiple of its body: the parsed JSON (a Python object per number, list
and dict), then arrays, then the model's tensors and the response text. The body limit bounds one
request; :class:`ByteBudget` bounds them together, so that many large requests arriving at once
queue (and, past a deadline, get a 503) instead of all inflating the worker at the same time.
:func:`give_back_free_memory` returns the heap pages freed by a large request to the system:
glibc keeps them (in every thread's arena) otherwise, and the worker's resident memory stays high.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections import deque
from functools import cache


class ByteBudget:
    """A semaphore weighted by bytes: at most ``capacity`` bytes of requests admitted at once.

    Waiters are admitted in arrival order (a large request is not passed over forever by small
    ones). A request larger than the capacity counts as the whole capacity: it runs alone.
    Used from one event loop (the worker's); :meth:`release` needs no ``await`` so that it can
    run in a ``finally`` of a cancelled request.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.in_use = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, size: int, timeout_s: float) -> int | None:
        """Wait until ``size`` bytes fit; returns the bytes to :meth:`release`, or None on timeout."""
        size = max(0, min(size, self.capacity))
        if not self._waiters and self.in_use + size <= self.capacity:
            self.in_use += size
            return size
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (size, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait({future}, timeout=timeout_s)
        except BaseException:  # cancelled while waiting (the client went away)
            self._forget(entry)
            raise
        if future.done():
            return size
        self._forget(entry)
        return None

    def _forget(self, entry: tuple[int, asyncio.Future[None]]) -> None:
        size, future = entry
        if future.done():  # admitted at the last moment: hand the bytes back
            self.release(size)
            return
        future.cancel()
        self._waiters.remove(entry)
        self._wake()  # the next waiter may fit now that this one has left the head of the queue

    def release(self, size: int) -> None:
        self.in_use -= size
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_use + self._waiters[0][0] <= self.capacity:
            size, future = self._waiters.popleft()
            self.in_use += size
            future.set_result(None)


@cache
def _malloc_trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None


def give_back_free_memory() -> bool:
    """glibc's ``malloc_trim(0)``: free heap pages of every arena back to the system.

    Returns False where there is no such call (not glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
