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


def _run(**values: object) -> None:
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
    click.echo("Dagster UI: http://127.0.0.1:3000 (lineage under Assets > Global asset lineage)")


def _options() -> list[click.Parameter]:
    options: dict[str, click.Parameter] = {}
    for name, command in _steps():
        for param in command.params:
            if param.name in options:
                raise click.ClickException(f"domain {name!r}: demo option {param.name!r} is declared twice")
            options[str(param.name)] = param
    return list(options.values())


demo = click.Command(
    "demo",
    callback=_run,
    params=_options(),
    help="Ingest data for every domain (generating synthetic data if none is given), materialise every asset "
    "and print a summary.",
)
