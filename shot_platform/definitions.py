"""The Dagster code location: the registered domains' ``Definitions``, merged.

Each domain declares its own Definitions (assets, checks, jobs, sensors, schedules and its own
resources) and names them in its :class:`~shot_platform.core.domain.Domain`; this module names no
domain. ``Definitions.merge`` refuses two domains that bind one resource key to different resources,
so a domain cannot borrow or shadow another's. Nothing here imports TensorFlow (tested): only the
a domain's model module imports it, when a run needs it.
"""

from __future__ import annotations

from dagster import Definitions

from shot_platform.core.domain import domains
from shot_platform.core.settings import Settings

Settings.from_env()  # production mode refuses to load without its database and model store


def domain_definitions() -> dict[str, Definitions]:
    """Each registered domain's Definitions, by domain name."""
    return {domain.name: domain.load("definitions") for domain in domains()}


def merged_definitions() -> Definitions:
    """The code location: every registered domain's Definitions in one (a domain registered after this
    module was imported, e.g. by a test, is found by calling it again)."""
    return Definitions.merge(*domain_definitions().values())


defs = merged_definitions()
