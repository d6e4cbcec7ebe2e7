"""``shot-platform demo``: the first half of ``make run``."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_store, progress_printer
from shot_platform.cli.materialize import describe, run_assets
from shot_platform.core.settings import Settings
from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file


@click.command("demo")
@click.option("--data", type=click.Path(), default=None, help="a shot-logs file; default: a synthetic season")
@click.option("--games", default=400, show_default=True, help="games in the synthetic season")
def demo(data: str | None, games: int) -> None:
    """Ingest data (generating a synthetic season if none is given), materialise
    every asset and print a summary."""
    settings = Settings.from_env()
    if data is None:
        from shot_platform.shots.synthetic import generate_shots, write_shots

        path = settings.home / "data" / f"synthetic_shot_logs_{games}_games.csv.gz"
        if not path.exists():
            click.echo(f"[1/3] generating a synthetic season of {games} games -> {path}")
            write_shots(generate_shots(games=games, seed=0), path)
        data = str(path)
    click.echo(f"[2/3] ingesting {data}")
    store = open_store(settings)
    try:
        report = ingest_shot_file(store, data, progress=progress_printer("inserted"))
    except ShotFileError as error:
        fail(str(error))
    click.echo("  " + report.summary())
    click.echo("[3/3] materialising every asset")
    result = run_assets()
    click.echo("\nSummary")
    click.echo("\n".join(describe(result)))
    if not result.success:
        fail("materialization failed, see the log above")
    click.echo(f"\nStore: {store.engine.url.render_as_string(hide_password=True)}; models: {settings.model_dir}")
    click.echo("Dagster UI: http://127.0.0.1:3000 (lineage under Assets > Global asset lineage)")
