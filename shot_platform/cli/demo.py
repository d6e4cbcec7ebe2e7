"""``shot-platform demo``: the first half of ``make run``, for both domains."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_free_throw_store, open_store, progress_printer
from shot_platform.cli.materialize import describe, run_assets
from shot_platform.core.settings import Settings
from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file


@click.command("demo")
@click.option("--data", type=click.Path(), default=None, help="a shot-logs file; default: a synthetic season")
@click.option("--games", default=400, show_default=True, help="games in the synthetic shot season")
@click.option("--free-throws", "free_throws", type=click.Path(), default=None,
              help="a free-throws file; default: synthetic seasons")  # fmt: skip
@click.option("--free-throw-seasons", default=3, show_default=True, help="seasons of synthetic free throws")
@click.option("--games-per-season", default=1230, show_default=True, help="games of a synthetic free-throw season")
def demo(data: str | None, games: int, free_throws: str | None, free_throw_seasons: int, games_per_season: int) -> None:
    """Ingest data for both domains (generating synthetic data if none is given), materialise
    every asset and print a summary."""
    settings = Settings.from_env()
    if data is None:
        from shot_platform.shots.synthetic import generate_shots, write_shots

        path = settings.home / "data" / f"synthetic_shot_logs_{games}_games.csv.gz"
        if not path.exists():
            click.echo(f"[1/3] generating a synthetic season of {games} games -> {path}")
            write_shots(generate_shots(games=games, seed=0), path)
        data = str(path)
    if free_throws is None:
        from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

        name = f"synthetic_free_throws_{free_throw_seasons}_seasons_{games_per_season}_games.csv.gz"
        path = settings.home / "data" / name
        if not path.exists():
            click.echo(f"[1/3] generating {free_throw_seasons} synthetic free-throw seasons -> {path}")
            frame = generate_free_throws(seasons=free_throw_seasons, regular_games=games_per_season, seed=0)
            write_free_throws(frame, path)
        free_throws = str(path)
    click.echo(f"[2/3] ingesting {data} and {free_throws}")
    store = open_store(settings)
    try:
        report = ingest_shot_file(store, data, progress=progress_printer("inserted"))
    except ShotFileError as error:
        fail(str(error))
    click.echo("  " + report.summary())
    from shot_platform.free_throws.ingest.events import FreeThrowFileError, ingest_free_throw_file

    try:
        ft_report = ingest_free_throw_file(
            open_free_throw_store(settings), free_throws, progress=progress_printer("inserted")
        )
    except FreeThrowFileError as error:
        fail(str(error))
    click.echo("  " + ft_report.summary())
    click.echo("[3/3] materialising every asset (groups shots and free_throws)")
    result = run_assets()
    click.echo("\nSummary")
    click.echo("\n".join(describe(result)))
    if not result.success:
        fail("materialization failed, see the log above")
    click.echo(f"\nStore: {store.engine.url.render_as_string(hide_password=True)}; models: {settings.model_dir}")
    click.echo("Dagster UI: http://127.0.0.1:3000 (lineage under Assets > Global asset lineage)")
