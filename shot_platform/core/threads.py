"""How many CPU threads model code may use.

HistGradientBoosting's OpenMP threads spin while they wait; on a small machine shared with the
Dagster daemon, a web service or another run, that can make a fit 10-100x slower than one thread.
The default is therefore one thread; ``SHOT_PLATFORM_MODEL_THREADS`` raises it on a dedicated
machine. The limit is applied once per process: threadpoolctl's context manager costs more a call
than scoring one row.
"""

from __future__ import annotations

from functools import cache

from threadpoolctl import threadpool_limits

from shot_platform.core.settings import Settings


def model_threads() -> int:
    return Settings.from_env().model_threads


@cache
def apply_model_threads() -> int:
    """Bound OpenMP and BLAS threads of this process (first call only); returns the limit."""
    limit = model_threads()
    threadpool_limits(limits=limit)
    return limit
