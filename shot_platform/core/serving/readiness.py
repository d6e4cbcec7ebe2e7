"""``GET /readyz`` with each model's state in the body.

BentoML's own ``/readyz`` answers an empty 200 or a fixed 503 text and its system routes come
before any mounted app, so the report is given by an ASGI middleware (``add_asgi_middleware``)
that answers ``/readyz`` before BentoML's route does. The service instance provides
``readiness() -> (ready, {model: {"state", "version", ...}})``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

READYZ = "/readyz"


class ReadinessReport:
    """Answers ``GET /readyz``: 200 when ready, else 503; the JSON body has every model's state."""

    def __init__(self, app: ASGIApp, readiness: Callable[[], tuple[bool, dict]]) -> None:
        self.app, self.readiness = app, readiness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != READYZ or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            ready, models = self.readiness()
        except Exception as error:  # the service is still starting (no instance yet)
            ready, models = False, {"error": f"{type(error).__name__}: {error}"}
        body = json.dumps({"ready": ready, "models": models}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200 if ready else 503, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
