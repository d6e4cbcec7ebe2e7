"""One BentoML service class built from a list of domain units (:mod:`.unit`), not by inheritance.

BentoML collects a service's endpoints with ``dir()`` over its class (``APIMethod`` attributes,
``_bentoml_sdk/service/factory.py``). Each unit's ``APIMethod`` is copied onto the composed class
with ``attrs.evolve``: same route, input and output specs, batching; its function calls the unit
instance the service holds, so a unit's method sees the unit as ``self``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Sequence
from typing import Any

import attrs
import bentoml
from _bentoml_sdk.method import APIMethod

from shot_platform.core.serving.http import log_client_errors_at_info
from shot_platform.core.serving.unit import ServiceUnit
from shot_platform.core.settings import Settings

log = logging.getLogger("shot_platform.serving")


class ComposedService:
    """The units' lifecycle and readiness; the endpoints are added by :func:`service_class`."""

    unit_classes: tuple[type, ...] = ()

    def __init__(self) -> None:
        settings = Settings.from_env()
        logging.getLogger("shot_platform").setLevel(logging.INFO)  # BentoML's root logger shows WARNING only
        log_client_errors_at_info()
        self.units: list[ServiceUnit] = []
        for unit_class in self.unit_classes:
            unit = unit_class()
            unit.start(settings)
            self.units.append(unit)

    def unit(self, unit_class: type) -> Any:
        """This service's instance of ``unit_class``."""
        for unit in self.units:
            if type(unit) is unit_class:
                return unit
        raise LookupError(f"{unit_class.__name__} is not a unit of this service")

    def readiness(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Ready once any model is being served; the report gives every model's state."""
        models: dict[str, dict[str, Any]] = {}
        for unit in self.units:
            models |= unit.readiness()
        return any(model.get("state") == "serving" for model in models.values()), models

    def __is_ready__(self) -> bool:
        return self.readiness()[0]

    @bentoml.on_shutdown
    def _stop_units(self) -> None:
        for unit in reversed(self.units):
            try:
                unit.stop()
            except Exception:  # one unit failing to stop must not keep the others from stopping
                log.exception("stopping %s failed", type(unit).__name__)


def _delegate(method: APIMethod, index: int) -> APIMethod:
    """``method`` as an endpoint of the composed service, calling unit number ``index``."""
    original = method.func
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def call(service: ComposedService, *args: Any, **kwargs: Any) -> Any:
            return await original(service.units[index], *args, **kwargs)

    else:

        @functools.wraps(original)
        def call(service: ComposedService, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return original(service.units[index], *args, **kwargs)

    return attrs.evolve(method, func=call)


def service_class(name: str, module: str, unit_classes: Sequence[type]) -> type:
    """A class named ``name`` (in ``module``, for BentoML's import string) serving every unit's endpoints.

    Two units declaring the same endpoint name or route is an error, not a silent override.
    """
    namespace: dict[str, Any] = {
        "__module__": module,
        "__qualname__": name,
        "__doc__": "Every registered domain's endpoints and models, on one service.",
        "unit_classes": tuple(unit_classes),
    }
    routes: dict[str, str] = {}
    for index, unit_class in enumerate(unit_classes):
        for attribute in dir(unit_class):
            value = getattr(unit_class, attribute)
            if not isinstance(value, APIMethod):
                continue
            if attribute in namespace or value.route in routes:
                clash = routes.get(value.route, attribute)
                raise ValueError(f"{unit_class.__name__}.{attribute} ({value.route}) clashes with {clash}")
            routes[value.route] = f"{unit_class.__name__}.{attribute}"
            namespace[attribute] = _delegate(value, index)
    return type(name, (ComposedService,), namespace)
