"""``shot-platform materialize``: run the asset graph in this process."""

from __future__ import annotations

import os

import click
from dagster import DagsterInstance, materialize

from shot_platform.cli.main import fail
from shot_platform.core.settings import Settings

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
"""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The configured instance: $DAGSTER_HOME, by default under $SHOT_PLATFORM_HOME."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_CONFIG)
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


def run_assets(selection: list[str] | None = None, full_refeed: bool = False):
    """Materialise (a selection of) the graph with its checks; returns the Dagster result."""
    from shot_platform.definitions import all_assets, all_checks, default_resources

    settings = Settings.from_env()
    run_config = dict(QUIET_LOGS)
    if full_refeed:
        run_config["ops"] = {"shot_predictions": {"config": {"full_refeed": True}}}
    with dagster_instance(settings) as instance:
        return materialize(
            [*all_assets, *all_checks],
            resources=default_resources(settings),
            instance=instance,
            selection=selection,
            run_config=run_config,
            raise_on_error=False,
        )


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
@click.option("--select", "select", default=None, help="comma-separated asset keys (default: all)")
@click.option("--full-refeed", is_flag=True, help="recompute every prediction, ignoring the cache")
def materialize_command(select: str | None, full_refeed: bool) -> None:
    """Run the asset graph (raw_shots -> player_features -> shot_model -> shot_predictions
    -> shot_ground_truth) and its checks against the configured Dagster instance."""
    selection = [key.strip() for key in select.split(",") if key.strip()] if select else None
    if selection is not None:
        known = known_assets()
        unknown = [key for key in selection if key not in known]
        if unknown or not selection:
            fail(f"unknown asset {', '.join(unknown) or '(empty selection)'}; known assets: {', '.join(known)}")
    result = run_assets(selection, full_refeed)
    click.echo("\n".join(describe(result)))
    if not result.success:
        failures = [event.message for event in result.all_events if event.is_step_failure]
        fail("materialization failed: " + "; ".join(str(f) for f in failures) + " (see the log above)")
