"""``shot-platform materialize``: run the asset graph in this process."""

from __future__ import annotations

import functools
import operator
import re

import click
from dagster import (
    AssetsDefinition,
    AssetSelection,
    DagsterError,
    DagsterInstance,
    DagsterInvalidSubsetError,
    Definitions,
    materialize,
)

from shot_platform.cli.main import fail
from shot_platform.core.asset_tags import PREDICTION_CACHE_KEY
from shot_platform.core.domain import domains, each
from shot_platform.core.model_store import one_line
from shot_platform.core.settings import DAGSTER_HOME_ENV, Settings, export_variable

# The embedded instance: SQLite storage in DAGSTER_HOME, one run at a time per `shot_platform/kind` (as dagster.yaml).
LOCAL_INSTANCE_CONFIG = """telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
    tag_concurrency_limits:
      - key: shot_platform/kind
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The configured instance: $DAGSTER_HOME, by default under $SHOT_PLATFORM_HOME."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_CONFIG)
    export_variable(DAGSTER_HOME_ENV, str(home))  # DagsterInstance.get() reads it
    return DagsterInstance.get()


def code_location() -> Definitions:
    """The merged Definitions of the registered domains (``shot_platform.definitions:defs``): the one
    place the graph, its checks and its resources come from, for the UI and this command alike."""
    from shot_platform.definitions import defs

    return defs


def graph_assets(defs: Definitions) -> list[AssetsDefinition]:
    return [asset for asset in defs.assets or () if isinstance(asset, AssetsDefinition)]


def refeed_assets(defs: Definitions) -> list[str]:
    """Assets tagged as keeping a prediction cache: their run config takes ``full_refeed``."""
    return [
        key.to_user_string()
        for asset in graph_assets(defs)
        for key in asset.keys
        if asset.tags_by_key.get(key, {}).get(PREDICTION_CACHE_KEY)
    ]


def refeed_config(defs: Definitions, selection: AssetSelection | list[str] | None) -> dict:
    """Op config setting ``full_refeed`` on each selected asset that keeps a prediction cache."""
    chosen = (
        {key.to_user_string() for key in AssetSelection.from_coercible(selection).resolve(graph_assets(defs))}
        if selection is not None
        else None
    )
    return {name: {"config": {"full_refeed": True}} for name in refeed_assets(defs) if chosen is None or name in chosen}


def parse_selection(text: str | None) -> AssetSelection | None:
    """Dagster's asset selection syntax (``group:<domain>``, ``key:<asset>+``, ``<asset>``);
    comma-separated parts are unioned, so the older ``a,b`` lists keep working."""
    if not text:
        return None
    parts = [AssetSelection.from_string(part.strip()) for part in text.split(",") if part.strip()]
    return functools.reduce(operator.or_, parts)


def groups_with_data(settings: Settings) -> AssetSelection | None:
    """Without --select: the groups (one per domain) whose domain has stored rows (``has_data``: a
    domain with no data has nothing to train on); every group when none has data, so the failure
    names what is missing."""
    try:
        stored = {domain.name: stored_rows(settings) for domain, stored_rows in each("has_data")}
    except Exception as error:
        fail(
            f"cannot open the store: {one_line(error)}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    empty = [group for group, rows in stored.items() if not rows]
    if stored and len(empty) == len(stored):
        # Every asset would fail on an empty store: say what comes first instead of a step failure.
        ingest = " or ".join(
            f"`shot-platform ingest {command.name} FILE`"
            for domain in domains()
            for command in domain.commands
            if command.group == "ingest"
        )
        fail(f"no data stored yet: ingest some first ({ingest}), or run `shot-platform demo` for synthetic data")
    if not empty:
        return None
    for group in empty:
        click.echo(f"skipping group {group}: no data stored yet (select it with --select group:{group})", err=True)
    return AssetSelection.groups(*(group for group, rows in stored.items() if rows))


def run_assets(selection: str | AssetSelection | list[str] | None = None, full_refeed: bool = False):
    """Materialise (a selection of) the graph with its checks; returns the Dagster result."""
    settings = Settings.from_env()
    defs = code_location()
    assets = graph_assets(defs)
    if isinstance(selection, str):
        selection = parse_selection(selection)
    run_config = dict(QUIET_LOGS)
    if full_refeed:
        run_config["ops"] = refeed_config(defs, selection)
    with dagster_instance(settings) as instance:
        return materialize(
            [*assets, *(defs.asset_checks or ())],
            resources=dict(defs.resources or {}),
            instance=instance,
            selection=selection,
            run_config=run_config,
            raise_on_error=False,
        )


def selection_example() -> str:
    """A selection of a registered domain's group and of an asset's downstream, for error messages."""
    return f"group:{known_groups()[0]} or key:{known_assets()[0]}+"


def checked_selection(text: str) -> AssetSelection:
    """``--select`` parsed, or a one-line failure naming the unknown assets and the known ones."""
    assets = graph_assets(code_location())
    known = known_assets()
    try:
        selection = parse_selection(text)
    except DagsterError as error:
        fail(f"{error}. Use Dagster's selection syntax, e.g. --select {selection_example()}")
    if selection is None:
        fail(f"unknown asset (empty selection); known assets: {', '.join(known)}")
    # `key:name` of an unknown asset selects nothing without complaint; a bare name raises.
    unknown = [name for name in re.findall(r'key:"?([A-Za-z0-9_]+)"?(?![*A-Za-z0-9_])', text) if name not in known]
    try:
        resolved = AssetSelection.from_coercible(selection).resolve(assets)
    except DagsterInvalidSubsetError as error:
        unknown += re.findall(r"'([^']+)'", str(error).split("]")[0])
        resolved = set()
    if unknown:
        fail(f"unknown asset {', '.join(dict.fromkeys(unknown))}; known assets: {', '.join(known)}")
    if not resolved:
        groups = ", ".join(known_groups())
        fail(f"--select {text!r} selects no asset; known assets: {', '.join(known)}; groups: {groups}")
    return selection


def known_groups() -> list[str]:
    """The code location's asset groups (one per domain), in the order the domains are registered."""
    graph = code_location().resolve_asset_graph()
    found = {graph.get(key).group_name for key in graph.materializable_asset_keys}
    registered = [domain.name for domain in domains()]
    return sorted(found, key=lambda group: (registered.index(group) if group in registered else len(registered), group))


def known_assets() -> list[str]:
    """Asset keys of the code location, group by group, each in graph order (upstream first)."""
    graph = code_location().resolve_asset_graph()
    groups = known_groups()
    place = {key: index for index, key in enumerate(graph.toposorted_asset_keys)}

    def position(key) -> tuple[int, int]:
        group = graph.get(key).group_name
        return (groups.index(group) if group in groups else len(groups), place[key])

    return [key.to_user_string() for key in sorted(graph.materializable_asset_keys, key=position)]


def describe(result) -> list[str]:
    lines = []
    for event in result.get_asset_materialization_events():
        metadata = {key: value.value for key, value in event.materialization.metadata.items()}
        shown = {
            key: value for key, value in metadata.items() if isinstance(value, (int, float)) or len(str(value)) < 60
        }
        lines.append(f"  {event.asset_key.to_user_string()}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in shown.items()))
    for check in result.get_asset_check_evaluations():
        lines.append(f"  check {check.check_name}: {'passed' if check.passed else 'FAILED'}")
    return lines


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@click.command("materialize")
@click.option(
    "--select",
    "select",
    default=None,
    help="Dagster asset selection, e.g. 'group:<domain>', 'key:<asset>+', '<asset>,<asset>' (default: every "
    "domain with data)",
)
@click.option("--full-refeed", is_flag=True, help="recompute every prediction, ignoring the cache")
def materialize_command(select: str | None, full_refeed: bool) -> None:
    """Run the asset graph (one group per domain) and its checks against the configured Dagster
    instance."""
    selection = checked_selection(select) if select is not None else groups_with_data(Settings.from_env())
    result = run_assets(selection, full_refeed)
    click.echo("\n".join(describe(result)))
    if not result.success:
        failures = [event.message for event in result.all_events if event.is_step_failure]
        fail("materialization failed: " + "; ".join(str(f) for f in failures) + " (see the log above)")
