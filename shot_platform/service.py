"""The BentoML service: one service built from every registered domain's unit
(``Domain.service_unit``, :mod:`shot_platform.core.serving.unit`), not by inheritance.

Run it with ``shot-platform serve`` or ``bentoml serve`` from ``bento/``.
``/livez`` and ``/metrics`` (Prometheus) come from BentoML; ``/readyz`` reports each model's
state, as each unit gives it, and is ready once a model is loaded
(:mod:`shot_platform.core.serving.readiness`). A unit's endpoints, mounted apps and middlewares
join the service here (:mod:`shot_platform.core.serving.compose`).
"""

from __future__ import annotations

import os

import bentoml

from shot_platform.core.domain import domains
from shot_platform.core.serving.compose import service_class
from shot_platform.core.serving.http import BodySizeLimit
from shot_platform.core.serving.readiness import ReadinessReport

POLL_ENV = "SHOT_PLATFORM_MODEL_POLL_SECONDS"
MAX_BODY_ENV = "SHOT_PLATFORM_MAX_BODY_BYTES"
# The largest bodies the domains accept are about 2.6 MB and 4.5 MB (their most items per request,
# measured in test_service.py); 8 MiB leaves room for both.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# Bodies being worked on at once (two of the largest): a request holds several times its body in
# memory while it is parsed and scored; more wait their turn (503 after 10 s).
MAX_INFLIGHT_ENV = "SHOT_PLATFORM_MAX_INFLIGHT_BYTES"

UNITS = [d.load("service_unit") for d in domains() if d.service_unit]

PlatformService = bentoml.service(name="shot_platform", http={"port": 5000}, traffic={"timeout": 30}, workers=1)(
    service_class("PlatformService", __name__, UNITS, float(os.environ.get(POLL_ENV, "5")))
)
for _unit in UNITS:
    for _mount in _unit.mounts():
        PlatformService.mount_asgi_app(_mount.app, path=_mount.path)

_max_body = int(os.environ.get(MAX_BODY_ENV) or DEFAULT_MAX_BODY_BYTES)
PlatformService.add_asgi_middleware(
    BodySizeLimit,
    max_bytes=_max_body,
    max_inflight_bytes=int(os.environ.get(MAX_INFLIGHT_ENV) or 2 * _max_body),
    inflate_under=tuple(f"{m.path.rstrip('/')}/" for unit in UNITS for m in unit.mounts() if m.inflate_gzip),
)
for _unit in UNITS:
    for _middleware in _unit.middlewares():
        PlatformService.add_asgi_middleware(_middleware.cls, **_middleware.options)
PlatformService.add_asgi_middleware(ReadinessReport, readiness=lambda: bentoml.get_current_service().readiness())
