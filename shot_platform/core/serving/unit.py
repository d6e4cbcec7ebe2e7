"""A domain's unit on the prediction service: its endpoints, its models' readiness, its ASGI parts.

The platform serves one BentoML service built from the registered domains' units
(:mod:`shot_platform.core.serving.compose`); a unit is a plain class whose ``@bentoml.api``
methods take the unit as ``self``. A domain names its unit class in ``Domain.service_unit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from starlette.middleware import Middleware

from shot_platform.core.settings import Settings


@dataclass(frozen=True)
class Mount:
    """An ASGI app mounted under ``path``; ``inflate_gzip``: gzip bodies under it are inflated by the
    body-size limit (which counts the inflated bytes)."""

    app: Any
    path: str
    inflate_gzip: bool = False


@runtime_checkable
class ServiceUnit(Protocol):
    """What the service calls on each unit (one instance per service worker).

    - ``start(settings)`` in the worker, before any request: open stores, start model watchers
      (``settings.serving.poll_seconds``: how often to look for a new champion); ``stop()`` at shutdown.
    - ``readiness()``: ``{model name: {"state": "serving" | ..., "version": ..., ...}}``; the service
      is ready once any model of any unit is serving (``/readyz`` shows them all).
    - ``mounts()`` / ``middlewares()`` (class methods, optional): read once when the service class is built;
      the middlewares (Starlette's ``Middleware(cls, **options)``) come after the body-size limit.
    """

    def start(self, settings: Settings) -> None: ...

    def stop(self) -> None: ...

    def readiness(self) -> dict[str, dict[str, Any]]: ...


class UnitBase:
    """Defaults for the optional parts of a unit."""

    @classmethod
    def mounts(cls) -> list[Mount]:
        return []

    @classmethod
    def middlewares(cls) -> list[Middleware]:
        return []


U = TypeVar("U")


def current_unit(unit_class: type[U]) -> U:
    """The running service's instance of ``unit_class`` (for a mounted app that needs its unit at
    request time)."""
    import bentoml

    return bentoml.get_current_service().unit(unit_class)
