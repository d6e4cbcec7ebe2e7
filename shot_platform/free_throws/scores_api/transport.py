"""HTTP for the Scores API client: an overall deadline per request and a capped body.

requests has a time-out per socket read only, so a provider that drips a byte every few seconds
never times out. A :class:`Deadline` covers one request with every attempt and wait in it: a timer
shuts the socket of the connection in use down when it passes, which ends any read in progress
(headers or body, HTTP or HTTPS, direct or through an HTTP proxy; a SOCKS proxy's connections are
not watched), and the request fails as a transient error would. The socket is known through
urllib3's documented ``ConnectionCls`` hook (``DeadlineAdapter``).

Bodies are streamed and read up to ``max_body_bytes`` (after decompression, so a small gzip body
cannot grow past it either), whether or not the server sent a Content-Length.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK_BYTES = 64 * 1024
HEAD_BYTES = 4096  # of an oversized body, kept with its quarantine record
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only (str.isdigit takes '²'), and short enough for int()
_current = threading.local()  # the Deadline of the request this thread is sending


class Deadline:
    """The time left for one request; ``with`` it around the request, in the thread that sends it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._socket = None  # back in the pool: another request's now
        _current.deadline = None

    def watch(self, sock: socket.socket) -> None:
        """The socket the request uses now (the socket, not the connection: http.client lets go of a
        connection's socket once a response that closes it arrives, and reads on through it)."""
        with self._lock:
            self._socket = sock
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._socket
        if sock is not None:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """End any read in progress on the socket (shutdown wakes a blocked recv; close does not)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watched(connection: HTTPConnection) -> None:
    deadline = getattr(_current, "deadline", None)
    sock = getattr(connection, "sock", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watched(self)  # a deadline that passed while connecting ends the request now

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watched(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watched(self)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watched(self)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections a :class:`Deadline` can end; retries are the client's."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # a SOCKS proxy has connection classes of its own
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


class BodyTooLarge(Exception):
    """The body passed the cap: ``what`` says by how much as far as known, ``head`` is its first bytes."""

    def __init__(self, what: str, head: bytes) -> None:
        super().__init__(what)
        self.what = what
        self.head = head


def read_body(response: requests.Response, limit: int) -> bytes:
    """The whole body, or ``BodyTooLarge`` as soon as it passes ``limit`` bytes (nothing more is read)."""
    declared = response.headers.get("Content-Length", "")
    if _DIGITS.fullmatch(declared) and int(declared) > limit:
        raise BodyTooLarge(f"a body of {int(declared):,} bytes (Content-Length)", b"")
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        if len(body) + len(chunk) > limit:
            raise BodyTooLarge(f"a body of more than {limit:,} bytes", bytes(body[:HEAD_BYTES]))
        body += chunk
    return bytes(body)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date); None when it is
    absent or not one of the two (``soon``, ``-5``): then the client's own backoff applies."""
    if value is None:
        return None
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


__all__ = ["BodyTooLarge", "Deadline", "DeadlineAdapter", "read_body", "retry_after"]
