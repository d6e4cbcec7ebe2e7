"""``shot-platform demo``: the first half of ``make run``, for every registered domain.

Each domain's ``demo`` names a ``click.Command``: its options join this command's, and its
callback ingests the domain's demo data (generating synthetic data when no file is given).
"""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from shot_platform.cli.main import fail
from shot_platform.cli.materialize import describe, run_assets
from shot_platform.core.domain import each
from shot_platform.core.settings import Settings


def _steps() -> list[tuple[str, click.Command]]:
    return [(domain.name, command) for domain, command in each("demo")]


def sensor_names() -> list[str]:
    """The code location's sensors, by name (the domains declare them)."""
    from shot_platform.cli.materialize import code_location

    return sorted(sensor.name for sensor in code_location().sensors or ())


def where_to_look(ui_port: int, scores_api_port: int | None) -> list[str]:
    """The summary's last lines: where the UI is and, when `make run` replays games, what moves there."""
    ui = f"http://127.0.0.1:{ui_port}"
    lines = [f"Dagster UI: {ui} (Lineage shows the graph; each asset's page its metadata, plots and checks)"]
    if scores_api_port is not None:
        lines += [
            f"Scores API replay: http://127.0.0.1:{scores_api_port}/replay/status (games released so far);",
            f"  the sensors ({', '.join(sensor_names())}; Automation) sync them: watch the runs in",
            f"  {ui}/runs, each asset's materialisations (their metadata), and at a season's end the",
            "  retraining run that judges a challenger.",
        ]
    return lines


def _run(ui_port: int, scores_api_port: int | None, **values: object) -> None:
    steps = _steps()
    names = ", ".join(name for name, _ in steps)
    click.echo(f"[1/2] demo data of every domain ({names})")
    for name, command in steps:
        click.echo(f"{name}:")
        command.callback(**{param.name: values[param.name] for param in command.params if param.name})
    click.echo(f"[2/2] materialising every asset (groups {names})")
    result = run_assets()
    click.echo("\nSummary")
    click.echo("\n".join(describe(result)))
    if not result.success:
        fail("materialization failed, see the log above")
    settings = Settings.from_env()
    click.echo(f"\nStore: {make_url(settings.database_url).render_as_string(hide_password=True)}; "
               f"models: {settings.model_dir}")  # fmt: skip
    click.echo("\n".join(where_to_look(ui_port, scores_api_port)))


def _options() -> list[click.Parameter]:
    options: dict[str, click.Parameter] = {}
    for name, command in _steps():
        for param in command.params:
            if param.name in options:
                raise click.ClickException(f"domain {name!r}: demo option {param.name!r} is declared twice")
            options[str(param.name)] = param
    return [
        *options.values(),
        click.Option(["--ui-port"], type=click.IntRange(1, 65535), default=3000, show_default=True,
                     help="the Dagster UI's port, named in the summary"),
        click.Option(["--scores-api-port"], type=click.IntRange(1, 65535), default=None,
                     help="the port of the replay server started beside the UI (`make run`), named in the summary"),
    ]  # fmt: skip


demo = click.Command(
    "demo",
    callback=_run,
    params=_options(),
    help="Ingest data for every domain (generating synthetic data if none is given), materialise every asset "
    "and print a summary.",
)
