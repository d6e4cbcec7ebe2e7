"""HTTP hygiene for the BentoML service, domain-free: a request-body size limit (gzip-encoded
bodies inflated under it), a limit on the bytes of requests worked on at once
(:mod:`.admission`), a path prefix matched in any case, and one INFO line (not an ERROR
traceback) per bad request.

BentoML 1.4 reads the whole body before validating it, has no body-size setting, and logs every
400 through ``log_exception`` at ERROR level with the traceback
(``_bentoml_impl/server/app.py::api_endpoint_wrapper``). The middleware is added with
``Service.add_asgi_middleware``, BentoML's documented hook; the log filter rewrites only the
records of client errors (4xx) on BentoML's own logger.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shot_platform.core.serving.admission import ByteBudget, give_back_free_memory

BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"


async def _send_json(send: Send, status: int, body: dict, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# The title of BentoML's answer to a request its input model refuses: it names an internal class.
VALIDATION_TITLE = re.compile(r"^\d+ validation errors? for \w+$")


def validation_summary(details: list) -> str:
    """``field: rule`` for each refused field (at most 5), without the root of the input model."""
    parts = []
    for detail in details[:5]:
        location = (
            [str(part) for part in detail.get("loc", ()) if part not in ("root", "body")]
            if isinstance(detail, dict)
            else []
        )
        message = detail.get("msg", "") if isinstance(detail, dict) else str(detail)
        parts.append(f"{'.'.join(location) or 'body'}: {message}")
    more = len(details) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


async def _send_reworded(send: Send, start: Message, body: bytes) -> None:
    """A 400's JSON with BentoML's "N validation errors for SomeIODescriptor" replaced by the fields and
    rules (``detail`` is kept); any other body is sent as it came."""
    try:
        answer = json.loads(body)
        titled = isinstance(answer, dict) and VALIDATION_TITLE.match(str(answer.get("error", "")))
        if titled and isinstance(answer.get("detail"), list):
            answer["error"] = validation_summary(answer["detail"])
            body = json.dumps(answer).encode()
    except ValueError:
        pass
    headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# Bodies are inflated in a worker thread from this compressed size on (1 MiB of JSON inflates in
# a few milliseconds; the event loop keeps serving meanwhile).
INFLATE_IN_THREAD_FROM = 16 * 1024


class BodyTooLarge(Exception):
    """The inflated body would pass the limit."""


def inflate_gzip(data: bytes, max_bytes: int) -> bytes:
    """A gzip body inflated, never more than ``max_bytes`` + 1 bytes at once: a compressed bomb
    is refused (:class:`BodyTooLarge`) as soon as it passes the limit, without being inflated in
    full. ``zlib.error`` for bytes that are not (whole) gzip."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    size, pending = 0, data
    while True:
        part = inflater.decompress(pending, max_bytes + 1 - size)
        size += len(part)
        if size > max_bytes:
            raise BodyTooLarge
        parts.append(part)
        pending = inflater.unconsumed_tail
        if inflater.eof or not pending:
            break
    if not inflater.eof:
        raise zlib.error("the gzip stream ends before its end marker")
    return b"".join(parts)


def _gzip_encoded(headers: dict[bytes, bytes]) -> bool:
    # TF Serving inflates a body whose Content-Encoding contains "gzip" (net_http evhttp_request.cc:261-266).
    return b"gzip" in headers.get(b"content-encoding", b"").lower()


class CaseInsensitivePrefix:
    """Sends ``/V1/...`` (any case) to the routes mounted at ``/v1``: TF Serving matches its
    paths case-insensitively (``(?i)/v1/.*``, http_rest_api_util.h), Starlette's mounts do not."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path[: len(self.prefix)].lower() == self.prefix:
            # Starlette's route patterns (``.*``) do not match a decoded newline (``%0A`` in a label
            # or model name), which would fall through to a plain 404; the app under the prefix
            # parses ``raw_path``, so the decoded path only has to route.
            scope = dict(scope, path=self.prefix + path[len(self.prefix) :].replace("\n", "%0A"))
        await self.app(scope, receive, send)


class BodySizeLimit:
    """413 with a JSON message for a request body over ``max_bytes``, declared or streamed; 503
    when the bodies being worked on already add up to ``max_inflight_bytes`` for ``wait_s``.

    The body is read here (at most ``max_bytes`` + one chunk) and replayed to the app,
    so a chunked upload without Content-Length is refused as soon as it passes the limit.
    A body of ``admit_from`` bytes or more then waits (in arrival order) until it fits in the
    in-flight budget, and holds its bytes until its response is sent: many large requests at
    once are worked on a few at a time instead of all inflating the worker together. With a
    Content-Length the request waits before its body is read, so a waiting request holds no
    memory. After a body of ``trim_from`` bytes or more, once no admitted request is left, freed
    memory is given back to the system.

    Under ``inflate_under`` (path prefixes, any case) a body sent with ``Content-Encoding: gzip``
    is inflated here, as TF Serving does: the limit and the in-flight budget count the inflated
    bytes, and the app sees a plain body.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_inflight_bytes: int | None = None,
        wait_s: float = 10.0,
        admit_from: int = 64 * 1024,
        trim_from: int = 1024 * 1024,
        inflate_under: tuple[str, ...] = (),
    ) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.inflate_under = tuple(prefix.lower() for prefix in inflate_under)
        self.budget = ByteBudget(max(max_inflight_bytes or 2 * max_bytes, max_bytes))
        self.wait_s, self.admit_from, self.trim_from = wait_s, admit_from, trim_from
        self._trimming = False

    def _busy(self) -> dict:
        return {
            "error": f"the service is busy with {self.budget.in_use:,} bytes of requests "
            f"(limit {self.budget.capacity:,}) and {self.budget.waiting} more waiting: retry in a few seconds "
            "(SHOT_PLATFORM_MAX_INFLIGHT_BYTES sets the limit)"
        }

    def _inflated_refusal(self) -> dict:
        return {
            "error": f"request body inflates (Content-Encoding: gzip) to more than the limit of {self.max_bytes:,} "
            "bytes: send fewer items per request (SHOT_PLATFORM_MAX_BODY_BYTES sets the limit)"
        }

    def _refusal(self, size: str) -> dict:
        return {
            "error": f"request body of {size} bytes is over the limit of {self.max_bytes:,} bytes: "
            "send fewer items per request (SHOT_PLATFORM_MAX_BODY_BYTES sets the limit)"
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        expected = int(declared) if declared is not None and declared.isdigit() else None
        if expected is not None and expected > self.max_bytes:
            await _send_json(send, 413, self._refusal(f"{expected:,}"))
            return
        admitted: int | None = 0
        inflated_admitted: int | None = 0
        try:
            if expected is not None and expected >= self.admit_from:
                # Before reading: a waiting request holds no memory, its bytes wait in the client's socket.
                admitted = await self.budget.acquire(expected, self.wait_s)
                if admitted is None:
                    await _send_json(send, 503, self._busy(), ((b"retry-after", b"2"),))
                    return
            body = await self._read(receive, send)
            if body is None:
                return
            size = len(body)
            if expected is None and size >= self.admit_from:  # streamed without Content-Length
                admitted = await self.budget.acquire(size, self.wait_s)
                if admitted is None:
                    await _send_json(send, 503, self._busy(), ((b"retry-after", b"2"),))
                    return
            if self.inflate_under and _gzip_encoded(headers) and scope["path"].lower().startswith(self.inflate_under):
                body = await self._inflate(body, send)
                if body is None:
                    return
                more = len(body) - (admitted or 0)  # the inflated bytes count, not the compressed ones
                if len(body) >= self.admit_from and more > 0:
                    inflated_admitted = await self.budget.acquire(more, self.wait_s)
                    if inflated_admitted is None:
                        await _send_json(send, 503, self._busy(), ((b"retry-after", b"2"),))
                        return
                size = len(body)
                plain = [
                    (k, v) for k, v in scope.get("headers") or [] if k not in (b"content-encoding", b"content-length")
                ]
                scope = dict(scope, headers=[*plain, (b"content-length", str(size).encode())])
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()  # after the body: wait for the disconnect, as Starlette expects

            await self.app(scope, replay, send)
        finally:
            if admitted:
                self.budget.release(admitted)
            if inflated_admitted:
                self.budget.release(inflated_admitted)
        if size >= self.trim_from and self.budget.in_use == 0 and not self._trimming:
            # Once the last of a burst of large requests is answered: a trim walks the whole heap
            # (tens of ms), in a worker thread, after the response has been sent.
            body = b""
            self._trimming = True
            try:
                await anyio.to_thread.run_sync(give_back_free_memory)
            finally:
                self._trimming = False

    async def _inflate(self, body: bytes, send: Send) -> bytes | None:
        """The inflated body, or None once a 413 (too large) or 400 (not gzip) is sent."""
        try:
            if len(body) >= INFLATE_IN_THREAD_FROM:
                return await anyio.to_thread.run_sync(inflate_gzip, body, self.max_bytes)
            return inflate_gzip(body, self.max_bytes)
        except BodyTooLarge:
            await _send_json(send, 413, self._inflated_refusal())
        except zlib.error as error:
            message = (
                f"request body is not valid gzip ({error}) though sent with Content-Encoding: gzip: "
                "send it whole, or uncompressed without that header"
            )
            await _send_json(send, 400, {"error": message})
        return None

    async def _read(self, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once a 413 is sent for a body past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await _send_json(send, 413, self._refusal(f"more than {self.max_bytes:,}"))
                return None
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


# Media types BentoML would parse with its multipart or pickle readers (a malformed multipart body
# is a 500 there, pickle a 415 with a list body): the JSON APIs take JSON only.
REFUSED_MEDIA_TYPES = frozenset(
    {"multipart/form-data", "application/x-www-form-urlencoded", "application/vnd.bentoml+pickle"}
)


class JsonClientErrors:
    """Client errors outside the app's own handlers as ``{"error": ...}`` JSON, like the rest.

    A POST, PUT or PATCH with a refused media type gets a 415 before anything reads its body
    (except under ``any_media_under``: TF Serving's routes ignore the Content-Type, as TF Serving
    does); the plain-text 404 and 405 of the routing are rewritten as JSON naming the next step.
    """

    def __init__(self, app: ASGIApp, any_media_under: tuple[str, ...] = ()) -> None:
        self.app, self.any_media_under = app, tuple(prefix.lower() for prefix in any_media_under)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        headers = dict(scope.get("headers") or [])
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        if (
            method in ("POST", "PUT", "PATCH")
            and media in REFUSED_MEDIA_TYPES
            and not path.lower().startswith(self.any_media_under)
        ):
            error = f"{media} bodies are not accepted: send JSON with 'Content-Type: application/json'"
            await _send_json(send, 415, {"error": error})
            return
        rewritten = False
        held: dict[str, Any] = {}  # a 400's start message and body, while its message is reworded

        async def send_json_errors(message: Message) -> None:
            nonlocal rewritten
            if message["type"] == "http.response.start" and message["status"] == 400:
                response_headers = dict(message.get("headers") or [])
                if response_headers.get(b"content-type", b"").startswith(b"application/json"):
                    held.update(start=message, body=b"")
                    return
            if held and message["type"] == "http.response.body":
                held["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    await _send_reworded(send, held["start"], held["body"])
                return
            if message["type"] == "http.response.start" and message["status"] in (404, 405):
                response_headers = dict(message.get("headers") or [])
                if not response_headers.get(b"content-type", b"").startswith(b"application/json"):
                    rewritten = True
                    allow = response_headers.get(b"allow", b"").decode("latin-1")
                    if message["status"] == 404:
                        error = f"no route {method} {path}: GET /docs.json lists the service's routes"
                    else:
                        error = f"{method} is not allowed on {path}: use {allow or 'another method'}"
                    extra = ((b"allow", allow.encode("latin-1")),) if allow else ()
                    await _send_json(send, message["status"], {"error": error}, extra)
                    return
            if rewritten and message["type"] == "http.response.body":
                return  # the plain-text body: already answered
            await send(message)

        await self.app(scope, receive, send_json_errors)


def client_error_status(error: BaseException | None) -> int | None:
    """The 4xx status an exception becomes in BentoML's answer, None for server errors."""
    if error is None:
        return None
    try:
        from pydantic import ValidationError

        if isinstance(error, ValidationError):
            return 400
    except ImportError:  # pragma: no cover - pydantic is a BentoML dependency
        pass
    code = getattr(getattr(error, "error_code", None), "value", None)
    return code if isinstance(code, int) and 400 <= code < 500 else None


def describe_client_error(error: BaseException) -> str:
    """A short, single-line account of a bad request (field and rule for validation errors)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            parts = [
                f"{'.'.join(str(p) for p in e.get('loc', ())) or 'body'}: {e.get('msg', '')}"
                for e in errors(include_context=False, include_input=False)[:5]
            ]
            more = error.error_count() - len(parts)  # type: ignore[attr-defined]
            return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
        except Exception:  # fall back to the message
            pass
    return " ".join(str(error).split())[:300]


class ClientErrorsAtInfo(logging.Filter):
    """Turns BentoML's ERROR-with-traceback record for a client error (4xx) into one INFO line;
    server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        status = client_error_status(error)
        if status is None:
            return True
        path, method = (record.args or ("?", "?"))[:2] if isinstance(record.args, tuple) else ("?", "?")
        record.msg = "%s %s -> %d bad request: %s"
        record.args = (method, path, status, describe_client_error(error))
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text = None, None
        return True


def log_client_errors_at_info() -> None:
    """Install :class:`ClientErrorsAtInfo` on BentoML's HTTP logger (once per process)."""
    logger = logging.getLogger(BENTOML_HTTP_LOGGER)
    if not any(isinstance(f, ClientErrorsAtInfo) for f in logger.filters):
        logger.addFilter(ClientErrorsAtInfo())
