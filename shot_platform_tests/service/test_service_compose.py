"""The service class composed from units: each unit's endpoints with their specs, calling the unit."""

from __future__ import annotations

import asyncio

import bentoml
import pytest

from shot_platform.core.serving.compose import service_class
from shot_platform.core.serving.unit import UnitBase


class Echo(UnitBase):
    started: tuple | None = None

    def start(self, settings) -> None:
        self.started = settings

    def stop(self) -> None:
        self.started = None

    def readiness(self) -> dict:
        return {"echo": {"state": "serving" if self.started else "stopped"}}

    @bentoml.api(route="/echo")
    async def echo(self, text: str) -> dict:
        return {"echo": text, "unit": type(self).__name__}


class Count(UnitBase):
    def start(self, settings) -> None: ...

    def stop(self) -> None: ...

    def readiness(self) -> dict:
        return {"count": {"state": "no model"}}

    @bentoml.api(route="/count")
    def count(self, items: list[int]) -> int:
        return len(items)


class EchoAgain(Count):
    @bentoml.api(route="/echo")
    def echo_again(self, text: str) -> str:
        return text


def test_each_endpoint_keeps_its_route_and_specs_and_calls_its_unit(platform_home):
    composed = service_class("Composed", __name__, [Echo, Count])
    assert composed.__module__ == __name__ and composed.__name__ == "Composed"
    service = bentoml.service(name="composed")(composed)
    assert {name: api.route for name, api in service.apis.items()} == {"echo": "/echo", "count": "/count"}
    assert service.apis["echo"].input_spec is Echo.echo.input_spec
    assert service.apis["count"].output_spec is Count.count.output_spec

    instance = composed()
    assert [type(unit) for unit in instance.units] == [Echo, Count]
    assert instance.unit(Echo).started is not None  # started with the settings
    assert asyncio.run(instance.echo("hi")) == {"echo": "hi", "unit": "Echo"}
    assert instance.count([1, 2, 3]) == 3
    assert instance.readiness() == (True, {"echo": {"state": "serving"}, "count": {"state": "no model"}})
    instance._stop_units()
    assert instance.readiness()[0] is False


def test_two_units_with_one_route_are_refused():
    with pytest.raises(ValueError, match="clashes"):
        service_class("Clash", __name__, [Echo, EchoAgain])
