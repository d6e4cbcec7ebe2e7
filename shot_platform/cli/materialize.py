"""``shot-platform materialize``: run the asset graph in this process."""

from __future__ import annotations

import functools
import operator
import re

import click
from dagster import AssetSelection, DagsterError, DagsterInstance, DagsterInvalidSubsetError, materialize

from shot_platform.cli.main import fail
from shot_platform.core.settings import DAGSTER_HOME_ENV, Settings, export_variable

# The embedded instance: SQLite storage in DAGSTER_HOME, one retraining run at a time.
LOCAL_INSTANCE_CONFIG = """telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
    tag_concurrency_limits:
      - key: shot_platform/kind
        value: retrain
        limit: 1
      - key: shot_platform/kind
        value: free_throw_sync
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


# Assets whose config takes ``full_refeed`` (their prediction cache).
REFEED_ASSETS = ("shot_predictions", "score_beater_predictions")


def parse_selection(text: str | None) -> AssetSelection | None:
    """Dagster's asset selection syntax (``group:free_throws``, ``key:shot_model+``, ``raw_shots``);
    comma-separated parts are unioned, so the older ``a,b`` lists keep working."""
    if not text:
        return None
    parts = [AssetSelection.from_string(part.strip()) for part in text.split(",") if part.strip()]
    return functools.reduce(operator.or_, parts)


def groups_with_data(settings: Settings) -> AssetSelection | None:
    """Without --select: the groups whose store has rows (a group with no data has nothing to
    train on); every group when none has data, so the failure names what is missing."""
    from shot_platform.cli.main import open_free_throw_store, open_store

    stored = {
        "shots": open_store(settings).shot_summary()["rows"],
        "free_throws": open_free_throw_store(settings).summary()["rows"],
    }
    empty = [group for group, rows in stored.items() if not rows]
    if not empty or len(empty) == len(stored):
        return None
    for group in empty:
        click.echo(f"skipping group {group}: no data stored yet (select it with --select group:{group})", err=True)
    return AssetSelection.groups(*(group for group, rows in stored.items() if rows))


def run_assets(selection: str | AssetSelection | list[str] | None = None, full_refeed: bool = False):
    """Materialise (a selection of) the graph with its checks; returns the Dagster result."""
    from shot_platform.definitions import all_assets, all_checks, default_resources

    settings = Settings.from_env()
    if isinstance(selection, str):
        selection = parse_selection(selection)
    run_config = dict(QUIET_LOGS)
    if full_refeed:
        chosen = (
            {key.to_user_string() for key in AssetSelection.from_coercible(selection).resolve(all_assets)}
            if selection is not None
            else set(REFEED_ASSETS)
        )
        run_config["ops"] = {name: {"config": {"full_refeed": True}} for name in REFEED_ASSETS if name in chosen}
    with dagster_instance(settings) as instance:
        return materialize(
            [*all_assets, *all_checks],
            resources=default_resources(settings),
            instance=instance,
            selection=selection,
            run_config=run_config,
            raise_on_error=False,
        )


def checked_selection(text: str) -> AssetSelection:
    """``--select`` parsed, or a one-line failure naming the unknown assets and the known ones."""
    from shot_platform.definitions import all_assets

    known = known_assets()
    try:
        selection = parse_selection(text)
    except DagsterError as error:
        fail(f"{error}. Use Dagster's selection syntax, e.g. --select group:free_throws or key:shot_model+")
    if selection is None:
        fail(f"unknown asset (empty selection); known assets: {', '.join(known)}")
    # `key:name` of an unknown asset selects nothing without complaint; a bare name raises.
    unknown = [name for name in re.findall(r'key:"?([A-Za-z0-9_]+)"?(?![*A-Za-z0-9_])', text) if name not in known]
    try:
        resolved = AssetSelection.from_coercible(selection).resolve(all_assets)
    except DagsterInvalidSubsetError as error:
        unknown += re.findall(r"'([^']+)'", str(error).split("]")[0])
        resolved = set()
    if unknown:
        fail(f"unknown asset {', '.join(dict.fromkeys(unknown))}; known assets: {', '.join(known)}")
    if not resolved:
        fail(f"--select {text!r} selects no asset; known assets: {', '.join(known)}; groups: shots, free_throws")
    return selection


def known_assets() -> list[str]:
    """Asset keys of the code location, in graph order."""
    from shot_platform.definitions import all_assets

    return [key.to_user_string() for asset in all_assets for key in asset.keys]


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
    help="Dagster asset selection, e.g. 'group:free_throws', 'key:shot_model+', 'raw_shots,player_features' "
    "(default: all)",
)
@click.option("--full-refeed", is_flag=True, help="recompute every prediction, ignoring the cache")
def materialize_command(select: str | None, full_refeed: bool) -> None:
    """Run the asset graph (groups shots and free_throws) and its checks against the configured
    Dagster instance."""
    selection = checked_selection(select) if select is not None else groups_with_data(Settings.from_env())
    result = run_assets(selection, full_refeed)
    click.echo("\n".join(describe(result)))
    if not result.success:
        failures = [event.message for event in result.all_events if event.is_step_failure]
        fail("materialization failed: " + "; ".join(str(f) for f in failures) + " (see the log above)")
