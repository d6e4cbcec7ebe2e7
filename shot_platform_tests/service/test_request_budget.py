"""The service's bound on request memory: the byte budget of requests worked on at once (queued in
arrival order, 503 with a JSON error past the wait), enforced by the HTTP middleware in front of
a real server on loopback, and memory given back to the system after large requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import JSONResponse

from shot_platform.core.serving.admission import ByteBudget
from shot_platform.core.serving.http import BodySizeLimit
from shot_platform_tests.asgi_server import serving

# --- ByteBudget -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 100),
    jobs=st.lists(st.tuples(st.integers(0, 150), st.floats(0, 0.003)), min_size=1, max_size=12),
)
def test_the_budget_never_admits_more_than_its_capacity_and_serves_everyone(capacity, jobs):
    async def scenario() -> list[int]:
        budget, finished, peak = ByteBudget(capacity), [], 0

        async def job(index: int, size: int, hold_s: float) -> None:
            nonlocal peak
            taken = await budget.acquire(size, timeout_s=30)
            assert taken == min(size, capacity)  # a request over the capacity runs alone
            peak = max(peak, budget.in_use)
            await asyncio.sleep(hold_s)
            budget.release(taken)
            finished.append(index)

        await asyncio.gather(*(job(i, size, hold) for i, (size, hold) in enumerate(jobs)))
        assert peak <= capacity and budget.in_use == 0 and budget.waiting == 0
        return finished

    assert sorted(asyncio.run(scenario())) == list(range(len(jobs)))


def test_waiters_are_admitted_in_arrival_order_and_a_timeout_gives_nothing_away():
    async def scenario() -> None:
        budget = ByteBudget(10)
        assert await budget.acquire(8, timeout_s=1) == 8
        order: list[str] = []

        async def wait(name: str, size: int, timeout_s: float) -> int | None:
            taken = await budget.acquire(size, timeout_s)
            order.append(name)
            return taken

        big = asyncio.create_task(wait("big", 6, 5))
        await asyncio.sleep(0.01)
        small = asyncio.create_task(wait("small", 1, 5))  # would fit now, but arrived after "big"
        late = asyncio.create_task(wait("late", 9, 0.05))
        assert await late is None  # timed out while queued behind "big"
        await asyncio.sleep(0.05)
        assert order == ["late"] and budget.in_use == 8
        budget.release(8)
        assert await big == 6 and await small == 1
        assert order == ["late", "big", "small"]
        budget.release(6)
        budget.release(1)
        assert budget.in_use == 0

        # A waiter cancelled (its client went away) leaves the queue and takes no bytes.
        assert await budget.acquire(10, timeout_s=1) == 10
        gone = asyncio.create_task(budget.acquire(5, timeout_s=5))
        await asyncio.sleep(0.01)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        budget.release(10)
        assert budget.in_use == 0 and budget.waiting == 0

    asyncio.run(scenario())


# --- the middleware in front of a real server ---------------------------------------------


class Recorder:
    """An app that holds each request for a while and records the body bytes it holds at once."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s, self.holding, self.peak = hold_s, 0, 0

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        self.holding += len(body)
        self.peak = max(self.peak, self.holding)
        await asyncio.sleep(self.hold_s)
        self.holding -= len(body)
        await JSONResponse({"bytes": len(body)})(scope, receive, send)


@pytest.fixture
def serve_app() -> Iterator:
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(serving(app))


MB = 1 << 20


@pytest.mark.slow
def test_concurrent_large_requests_are_worked_on_within_the_budget(serve_app):
    app = Recorder(hold_s=0.2)
    url = serve_app(BodySizeLimit(app, max_bytes=2 * MB, max_inflight_bytes=3 * MB, wait_s=20))
    body = b"x" * (MB + MB // 2)  # two fit in the budget, not three

    def chunks() -> Iterator[bytes]:  # no Content-Length: admitted once read
        yield body[: MB // 2]
        yield body[MB // 2 :]

    with ThreadPoolExecutor(8) as pool:
        declared = [pool.submit(requests.post, url, data=body, timeout=30) for _ in range(6)]
        streamed = [pool.submit(requests.post, url, data=chunks(), timeout=30) for _ in range(2)]
        answers = [future.result() for future in declared + streamed]
    assert [answer.status_code for answer in answers] == [200] * 8
    assert all(answer.json() == {"bytes": len(body)} for answer in answers)
    assert app.peak == 2 * len(body)  # worked on two at a time: never three, and not one by one


@pytest.mark.slow
def test_a_request_that_waits_too_long_gets_a_503_with_a_json_error(serve_app):
    app = Recorder(hold_s=1.0)
    url = serve_app(BodySizeLimit(app, max_bytes=MB, max_inflight_bytes=MB, wait_s=0.2))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(requests.post, url, data=b"x" * MB, timeout=30)
        time.sleep(0.3)
        second = pool.submit(requests.post, url, data=b"y" * MB, timeout=30).result()
        assert first.result().status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"] == "2"
    assert "busy" in second.json()["error"] and "SHOT_PLATFORM_MAX_INFLIGHT_BYTES" in second.json()["error"]
    small = requests.post(url, data=b"{}", timeout=30)  # under admit_from: never queued
    assert small.status_code == 200
    again = requests.post(url, data=b"z" * MB, timeout=30)  # the budget was given back
    assert again.status_code == 200


# --- memory given back ----------------------------------------------------------------------

FRAGMENT_AND_TRIM = """
import json, threading, psutil
from shot_platform.core.serving.admission import give_back_free_memory
keep = []
def work():
    data = [bytes(1000) for _ in range(200_000)]
    keep.append(data[::50])  # a survivor every 50 blocks: glibc cannot shrink its heaps by itself
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
before = psutil.Process().memory_info().rss
trimmed = give_back_free_memory()
print(json.dumps([trimmed, before, psutil.Process().memory_info().rss]))
"""


@pytest.mark.slow  # a child process filling and freeing 800 MB
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_heap_memory_is_given_back_to_the_system():
    # In a child process: this process's heap is shared with every other test.
    done = subprocess.run([sys.executable, "-c", FRAGMENT_AND_TRIM], capture_output=True, text=True, timeout=60)
    trimmed, before, after = json.loads(done.stdout)
    assert trimmed is True
    assert before - after > 100 * 10**6, (before, after)  # about 800 MB freed, nearly all of it given back
