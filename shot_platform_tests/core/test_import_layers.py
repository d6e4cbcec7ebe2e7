"""No upward import in the package, counting imports inside functions too (the graph of
test_import_graph.py).

Layers, lowest first (a module may import its own layer and those below, never one above):

- ``shot_platform`` itself (the root package: ``__version__``): importable from anywhere.
- ``core``: imports only core. It is shared by every domain, so it names none.
- a domain (a sub-package with a ``domain.py``: shots, free_throws, and any added later) imports core
  and itself, never another domain nor the modules that compose the domains (the code location, the
  service, the migrations). Inside it, by the first name below the domain's package:
    1. its logic (rules, store, features, models, ingest, serving, ...: every other name);
    2. ``flow``: the game-by-game orchestration built on that logic;
    3. its wiring: the Dagster declarations and CLI commands (WIRING), which may also use
       ``shot_platform.cli`` (the CLI's shared helpers).
- the composition roots (every other module: ``cli``, ``service``, ``definitions``, ``migrations``):
  may import anything; nothing below imports them.
"""

from __future__ import annotations

from shot_platform_tests.core.test_import_graph import PACKAGE, import_graph

ROOT = PACKAGE.name
# A domain's wiring: what declares it to Dagster and the CLI, built on everything else (stored_rows: its
# ``has_data`` reference for the CLI's materialize).
WIRING = frozenset(
    {
        "assets",
        "checks",
        "sensors",
        "schedules",
        "jobs",
        "resources",
        "definitions",
        "defs",
        "domain",
        "commands",
        "stored_rows",
    }
)
FLOW = "flow"
LOGIC, ORCHESTRATION, WIRED = 1, 2, 3

# Upward imports not fixed yet: (importer, imported) -> whose work removes it. Only ever shrinks.
KNOWN_UPWARD = {
    # the champion's trained seasons (a registry read) belong below the flow: flow/retrain.py is being
    # reworked around the one gate in core (gate)
    ("shot_platform.free_throws.retraining", "shot_platform.free_throws.flow.retrain"): "gate",
    # the ledger's tables (processed games, game quarantine) belong with the store: they move there with
    # the one quarantine table of the ingest kit (ingest), which reshapes this module
    ("shot_platform.free_throws.live_metrics", "shot_platform.free_throws.flow.ledger"): "ingest",
}


def domains() -> frozenset[str]:
    """The domain packages: every sub-package that declares itself with a ``domain.py`` (core's holds the
    contract, not a declaration)."""
    return frozenset(path.parent.name for path in PACKAGE.glob("*/domain.py")) - {"core"}


def upward(importer: str, imported: str, domain_names: frozenset[str]) -> str | None:
    """Why ``importer`` may not import ``imported`` under the layers above, or None when it may."""
    source, target = importer.split("."), imported.split(".")
    if imported == ROOT or (len(source) > 1 and source[1] not in domain_names | {"core"}):
        return None  # the root package is importable from anywhere; composition roots import anything
    if source[1] == "core":
        return None if target[1:2] == ["core"] else "core imports only core"
    if target[1:2] == ["core"]:
        return None
    if target[1:2] != source[1:2]:
        if target[1:2] == ["cli"] and _tier(source) == WIRED:
            return None
        return "a domain imports only core and itself"
    if _tier(target) > _tier(source):
        return "inside a domain: its logic imports neither its flow nor its wiring; its flow not its wiring"
    return None


def _tier(parts: list[str]) -> int:
    below = parts[2] if len(parts) > 2 else ""
    return WIRED if below in WIRING else ORCHESTRATION if below == FLOW else LOGIC


def upward_imports(graph: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    names = domains()
    return {
        (importer, imported): reason
        for importer, targets in graph.items()
        for imported in targets
        if (reason := upward(importer, imported, names))
    }


def test_no_upward_import_but_the_known_ones() -> None:
    found = upward_imports(import_graph())
    assert domains() >= {"shots", "free_throws"}  # the walk really saw the domains
    assert {edge: reason for edge, reason in found.items() if edge not in KNOWN_UPWARD} == {}
    # A fixed one leaves the list, so that it cannot come back unseen.
    assert [edge for edge in KNOWN_UPWARD if edge not in found] == []


def test_the_layers_rule() -> None:
    names = frozenset({"shots", "free_throws"})
    allowed = [
        ("shot_platform.core.gate", "shot_platform.core.model_store"),
        ("shot_platform.core.saved_model_store", "shot_platform"),
        ("shot_platform.free_throws.flow.sync", "shot_platform.free_throws.store"),
        ("shot_platform.free_throws.assets.score_beater", "shot_platform.free_throws.flow.retrain"),
        ("shot_platform.free_throws.resources", "shot_platform.free_throws.flow.scorers"),
        ("shot_platform.free_throws.sensors", "shot_platform.free_throws.jobs"),
        ("shot_platform.shots.commands", "shot_platform.cli.main"),
        ("shot_platform.cli.main", "shot_platform.shots.store"),
        ("shot_platform.definitions", "shot_platform.free_throws.assets"),
    ]
    refused = [
        ("shot_platform.core.gate", "shot_platform.shots.models.registry"),
        ("shot_platform.core.settings", "shot_platform.cli.main"),
        ("shot_platform.free_throws.live_metrics", "shot_platform.free_throws.resources"),
        ("shot_platform.free_throws.training", "shot_platform.free_throws.flow.scorers"),
        ("shot_platform.free_throws.flow.sync", "shot_platform.free_throws.assets.score_beater"),
        ("shot_platform.free_throws.resources", "shot_platform.shots.resources"),
        ("shot_platform.shots.store.tables", "shot_platform.definitions"),
        ("shot_platform.shots.features.player", "shot_platform.cli.main"),
    ]
    assert [edge for edge in allowed if upward(*edge, names)] == []
    assert [edge for edge in refused if not upward(*edge, names)] == []
