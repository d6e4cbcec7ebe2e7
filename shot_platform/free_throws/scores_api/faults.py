"""Fault injection of the replay server: seeded 500s and a requests-per-second limit with 429s.

Both exist so tests and benchmarks can show the client's retries give the same results as a clean run.
"""

from __future__ import annotations

import math
import random
import time


class ErrorInjector:
    """Answers True for that share of calls, from a seeded generator (the same sequence each run)."""

    def __init__(self, rate: float, seed: int) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"error rate must be in [0, 1), got {rate}")
        self.rate = rate
        self._random = random.Random(seed)

    def fail_now(self) -> bool:
        return self.rate > 0 and self._random.random() < self.rate


class TokenBucket:
    """At most ``rate`` requests a second on average, bursts up to ``max(1, rate)``.

    :meth:`take` returns 0 when the request may go ahead, otherwise the whole seconds to wait
    (``Retry-After`` takes whole seconds, at least 1).
    """

    def __init__(self, rate: float, clock=time.monotonic) -> None:
        if not rate > 0:
            raise ValueError(f"rate limit must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()

    def take(self) -> int:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))
