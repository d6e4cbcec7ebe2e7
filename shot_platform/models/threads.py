"""How many CPU threads model code may use.

HistGradientBoosting's OpenMP threads spin while they wait; on a small machine
shared with the Dagster daemon, a web service or another run, that can make a
fit 10-100x slower than one thread. The default is therefore one thread;
``SHOT_PLATFORM_MODEL_THREADS`` raises it on a dedicated machine.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits

THREADS_ENV = "SHOT_PLATFORM_MODEL_THREADS"


def model_threads() -> int:
    value = os.environ.get(THREADS_ENV, "1")
    try:
        return max(1, int(value))
    except ValueError as error:
        raise ValueError(f"{THREADS_ENV} must be a whole number of threads, got {value!r}") from error


def limited_threads() -> AbstractContextManager:
    """Context manager bounding OpenMP and BLAS threads for model fitting and scoring."""
    return threadpool_limits(limits=model_threads())
