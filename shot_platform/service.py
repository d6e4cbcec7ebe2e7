"""The BentoML service: one service built from every registered domain's unit
(``Domain.service_unit``, :mod:`shot_platform.core.serving.unit`), not by inheritance.

Run it with ``shot-platform serve`` or ``bentoml serve`` from ``bento/``.
``/livez`` and ``/metrics`` (Prometheus) come from BentoML; ``/readyz`` reports each model's
state, as each unit gives it, and is ready once a model is loaded
(:mod:`shot_platform.core.serving.readiness`). A unit's endpoints, mounted apps and middlewares
join the service here (:mod:`shot_platform.core.serving.compose`).
"""

from __future__ import annotations

import bentoml

from shot_platform.core.domain import domains
from shot_platform.core.serving.compose import service_class
from shot_platform.core.serving.http import BodySizeLimit
from shot_platform.core.serving.readiness import ReadinessReport
from shot_platform.core.settings import Settings

UNITS = [d.load("service_unit") for d in domains() if d.service_unit]

PlatformService = bentoml.service(name="shot_platform", http={"port": 5000}, traffic={"timeout": 30}, workers=1)(
    service_class("PlatformService", __name__, UNITS)
)
for _unit in UNITS:
    for _mount in _unit.mounts():
        PlatformService.mount_asgi_app(_mount.app, path=_mount.path)

_limits = Settings.from_env().serving
PlatformService.add_asgi_middleware(
    BodySizeLimit,
    max_bytes=_limits.max_body_bytes,
    max_inflight_bytes=_limits.max_inflight_bytes,
    inflate_under=tuple(f"{m.path.rstrip('/')}/" for unit in UNITS for m in unit.mounts() if m.inflate_gzip),
)
for _unit in UNITS:
    for _middleware in _unit.middlewares():
        PlatformService.add_asgi_middleware(_middleware.cls, **_middleware.kwargs)
PlatformService.add_asgi_middleware(ReadinessReport, readiness=lambda: bentoml.get_current_service().readiness())
