"""The domain contract: a domain is one package that declares itself to the platform.

A domain publishes one :class:`Domain` under the ``shot_platform.domains`` entry-point group (the
registration list is ``[project.entry-points."shot_platform.domains"]`` in ``pyproject.toml``; a
package installed beside the platform registers the same way; the entry point's name is the domain's).
Shared code (the CLI's root, the service, the code location, ``core/``) reads the domains from
:func:`domains` and names none.

Everything a domain brings is named as ``"module:attribute"`` and imported on use, so that
``shot-platform --help`` imports neither Dagster nor a model library. A reference may be relative
(``".definitions:defs"``) to the package of the module declaring the domain.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    """What a domain declares. :func:`domains` sets ``name`` (its entry point's: a Python identifier,
    the Dagster group of its assets) and makes its relative references absolute.

    - ``definitions``: its Dagster ``Definitions`` (assets, checks, jobs, sensors, its own resources),
      by default ``definitions.py``'s ``defs``.
    - ``commands``: its CLI commands.
    - ``service_unit``: a factory of its unit on the prediction service (endpoints, readiness).
    - ``models``: the models it trains (for ``shot-platform models``, readiness and the demo).
    - ``has_data``: ``function(settings) -> int``, rows stored (``materialize`` skips a domain with none).
    - ``demo``: a ``click.Command`` whose options join ``shot-platform demo``'s and whose callback
      ingests the domain's demo data.
    - ``settings``: its settings dataclass (fields declaring their variables, read by
      :func:`shot_platform.core.settings.read`); its variables join the operations table.
    """

    definitions: str = ".definitions:defs"
    commands: tuple[Command, ...] = ()
    service_unit: str | None = None
    models: tuple[ModelRef, ...] = ()
    has_data: str | None = None
    demo: str | None = None
    settings: str | None = None
    name: str = ""

    @property
    def cli_name(self) -> str:
        return self.name.replace("_", "-")

    def registered(self, name: str, package: str) -> Domain:
        """This domain named ``name``, its references relative to ``package`` made absolute."""

        def absolute(reference: str) -> str:
            module_name, colon, attribute = reference.partition(":")
            return importlib.util.resolve_name(module_name, package) + colon + attribute

        def optional(reference: str | None) -> str | None:
            return reference and absolute(reference)

        return replace(
            self,
            name=name,
            definitions=absolute(self.definitions),
            commands=tuple(replace(command, target=absolute(command.target)) for command in self.commands),
            service_unit=optional(self.service_unit),
            models=tuple(
                replace(model, open=absolute(model.open), describe=optional(model.describe)) for model in self.models
            ),
            has_data=optional(self.has_data),
            demo=optional(self.demo),
            settings=optional(self.settings),
        )

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
        if not point.name.isidentifier():
            raise DomainError(f"entry point {point.name!r} ({point.value}): a domain's name is a Python identifier")
        domain = domain.registered(point.name, point.module.rpartition(".")[0])
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
