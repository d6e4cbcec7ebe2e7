"""The package's import graph: no cycle and no upward import, counting imports inside functions too
(they hide a dependency from Python's import machinery, not from a reader).

Layers, lowest first (a module may import its own layer and those below, never one above):

- ``shot_platform`` itself (the root package: ``__version__``): importable from anywhere.
- ``core``: imports only core. It is shared by every domain, so it names none.
- a domain (a sub-package with a ``domain.py``: shots, free_throws, and any added later) imports core
  and itself, never another domain nor the modules that compose the domains (the code location, the
  service, the migrations). Inside it, by the first name below the domain's package:
    1. its logic (rules, store, features, models, ingest, serving, ...: every other name);
    2. ``flow``: the game-by-game orchestration built on that logic;
    3. its wiring: the Dagster declarations (WIRING) and its CLI commands, which may also use
       ``shot_platform.cli`` (the CLI's shared helpers).
- the composition roots (every other module: ``cli``, ``service``, ``definitions``, ``migrations``):
  may import anything; nothing below imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "shot_platform"
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

# Upward imports not fixed yet: (importer, imported) -> who removes it. Only ever shrinks.
KNOWN_UPWARD = {
    # issue 14 item 3 (lifecycle): the one SavedModelScorer moves to core, training stops importing the flow
    ("shot_platform.free_throws.training", "shot_platform.free_throws.flow.scorers"): "lifecycle",
    # the cycle flow/retrain <-> retraining (gate/lifecycle: one gate in core, the flow keeps the schedule)
    ("shot_platform.free_throws.retraining", "shot_platform.free_throws.flow.retrain"): "gate",
    # the ledger's tables (processed games, game quarantine) belong with the store: they move there with
    # the one quarantine table of the ingest kit (ingest), which reshapes this module
    ("shot_platform.free_throws.live_metrics", "shot_platform.free_throws.flow.ledger"): "ingest",
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(module: str, path: Path, node: ast.AST, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    else:
        return []
    found = []
    for name in names:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            found.append(name)
    return found


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (annotations only, never imported at run time)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        module: {
            target
            for node in _runtime_nodes(ast.parse(path.read_text()))
            for target in _imported(module, path, node, modules)
        }
        for module, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


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


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100 and "shot_platform.free_throws.flow.sync" in graph
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_count_and_type_checking_imports_do_not() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\ndef f():\n    import y\n"
    names = [n.names[0].name for n in _runtime_nodes(ast.parse(source)) if isinstance(n, ast.Import)]
    assert names == ["y"]


def test_no_upward_import_but_the_known_ones() -> None:
    found = upward_imports(import_graph())
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
