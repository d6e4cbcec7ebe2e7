"""The domain contract: a domain is one package that declares itself to the platform.

A domain publishes one :class:`Domain` under the ``shot_platform.domains`` entry-point group (the
registration list is ``[project.entry-points."shot_platform.domains"]`` in ``pyproject.toml``; a
package installed beside the platform registers the same way). Shared code (the CLI's root, the
service, the code location, ``core/``) reads the domains from :func:`domains` and names none.

Everything a domain brings is named as ``"module:attribute"`` and imported on use, so that
``shot-platform --help`` imports neither Dagster nor a model library.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "shot_platform.domains"


class DomainError(RuntimeError):
    """A registered domain cannot be loaded; the message names the entry point and the cause."""


def resolve(reference: str) -> Any:
    """The object named by ``"package.module:attribute"`` (dotted attributes allowed)."""
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        target = getattr(target, part)
    return target


@dataclass(frozen=True)
class Command:
    """A CLI command a domain brings: top-level (``group=None``) or a subcommand of a shared group
    (``ingest``, ``generate``, ``sync``). ``target`` names a ``click.Command``."""

    name: str
    target: str
    help: str
    group: str | None = None


@dataclass(frozen=True)
class ModelRef:
    """A model a domain trains and serves: its registry name and ``open`` (``"module:function"``,
    called with the settings, returning its registry). ``describe`` (optional, ``"module:function"``)
    maps a version's metadata to ``{"candidate": ..., "tested_on": ...}`` for ``shot-platform models
    list``; without it the metadata's ``candidate`` and ``test_dates`` are shown."""

    name: str
    open: str
    describe: str | None = None


@dataclass(frozen=True)
class Domain:
    """What a domain declares. ``name`` is a Python identifier and the Dagster group of its assets.

    - ``definitions``: its Dagster ``Definitions`` (assets, checks, jobs, sensors, its own resources).
    - ``commands``: its CLI commands.
    - ``service_unit``: a factory of its unit on the prediction service (endpoints, readiness).
    - ``models``: the models it trains (for ``shot-platform models``, readiness and the demo).
    - ``has_data``: ``function(settings) -> int``, rows stored (``materialize`` skips a domain with none).
    - ``demo``: a ``click.Command`` whose options join ``shot-platform demo``'s and whose callback
      ingests the domain's demo data.
    - ``settings``: its settings dataclass (fields declaring their variables, read by
      :func:`shot_platform.core.settings.read`); its variables join the operations table.
    """

    name: str
    definitions: str
    commands: tuple[Command, ...] = ()
    service_unit: str | None = None
    models: tuple[ModelRef, ...] = ()
    has_data: str | None = None
    demo: str | None = None
    settings: str | None = None
    description: str = ""

    @property
    def cli_name(self) -> str:
        return self.name.replace("_", "-")

    def load(self, attribute: str) -> Any:
        """The object named by one of this domain's references (``"definitions"``, ``"demo"``...)."""
        reference = getattr(self, attribute, None)
        if not reference:
            raise DomainError(f"domain {self.name!r} declares no {attribute}")
        try:
            return resolve(reference)
        except (ImportError, AttributeError) as error:
            raise DomainError(f"domain {self.name!r}: cannot load {attribute} {reference!r}: {error}") from error


@functools.cache
def domains() -> tuple[Domain, ...]:
    """Every registered domain, by name. Cached per process (entry points do not change at run time)."""
    found: dict[str, Domain] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            domain = point.load()
        except Exception as error:
            raise DomainError(f"cannot load the domain {point.name!r} ({point.value}): {error}") from error
        if callable(domain) and not isinstance(domain, Domain):
            domain = domain()
        if not isinstance(domain, Domain):
            raise DomainError(f"entry point {point.name!r} ({point.value}) is not a shot_platform Domain")
        if domain.name in found:
            raise DomainError(f"two domains are named {domain.name!r}")
        found[domain.name] = domain
    return tuple(found[name] for name in sorted(found))


def domain(name: str) -> Domain:
    """The registered domain called ``name``, in its Python or its CLI spelling (``a_b`` or ``a-b``)."""
    wanted = name.replace("-", "_")
    for candidate in domains():
        if candidate.name == wanted:
            return candidate
    known = ", ".join(d.name for d in domains()) or "none"
    raise DomainError(f"no domain named {name!r}; registered: {known}")


def models() -> dict[str, tuple[Domain, ModelRef]]:
    """Every registered model by name, with its domain."""
    return {model.name: (d, model) for d in domains() for model in d.models}


def each(attribute: str) -> list[tuple[Domain, Callable[..., Any]]]:
    """Each domain that declares ``attribute``, with the object it names."""
    return [(d, d.load(attribute)) for d in domains() if getattr(d, attribute, None)]
