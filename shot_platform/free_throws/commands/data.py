"""``ingest free-throws``, ``generate free-throws`` and the free throws' part of ``shot-platform demo``."""

from __future__ import annotations

from pathlib import Path

import click

from shot_platform.cli.ingest import ingest_command
from shot_platform.cli.main import fail, open_store, progress_printer
from shot_platform.core.settings import Settings

DEMO_FILE = "demo_free_throws.txt"  # under $SHOT_PLATFORM_HOME/data: the file `demo` ingested last

ingest_free_throws = ingest_command(
    "free-throws",
    'Kaggle "NBA free throws" files',
    "shot_platform.free_throws.store:FreeThrowStore",
    "shot_platform.free_throws.ingest.events:ingest_free_throw_file",
)


@click.command("free-throws")
@click.option("--seasons", default=3, show_default=True, help="number of seasons")
@click.option("--first-season", default=2006, show_default=True, help="start year of the first season")
@click.option(
    "--short-season",
    "short_seasons",
    multiple=True,
    type=int,
    default=(2011,),
    show_default=True,
    help="start year of a 66-game (990-game) season; repeatable",
)
@click.option("--games-per-season", default=1230, show_default=True, help="regular-season games of a full season")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(), help=".csv or .csv.gz")
def generate_free_throws(
    seasons: int, first_season: int, short_seasons: tuple[int, ...], games_per_season: int, seed: int, output: str
) -> None:
    """Synthetic seasons in the exact Kaggle "NBA free throws" schema: one row per attempt."""
    from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

    if seasons < 1:
        raise click.BadParameter("must be at least 1", param_hint="--seasons")
    if games_per_season < 30:
        raise click.BadParameter("must be at least 30", param_hint="--games-per-season")
    frame = generate_free_throws(
        seasons=seasons,
        first_season=first_season,
        seed=seed,
        short_seasons=short_seasons,
        regular_games=games_per_season,
    )
    path = write_free_throws(frame, output)
    click.echo(
        f"wrote {len(frame):,} free throws from {frame['game_id'].nunique():,} games of {seasons} seasons to {path}"
    )


@click.command("free-throws")
@click.option("--free-throws", "free_throws", type=click.Path(), default=None,
              help="a free-throws file; default: synthetic seasons")  # fmt: skip
@click.option("--free-throw-seasons", default=3, show_default=True, help="seasons of synthetic free throws")
@click.option("--games-per-season", default=1230, show_default=True, help="games of a synthetic free-throw season")
def demo(free_throws: str | None, free_throw_seasons: int, games_per_season: int) -> None:
    """The free throws' demo data: the given file, or synthetic seasons, ingested."""
    from shot_platform.free_throws.ingest.events import FreeThrowFileError, ingest_free_throw_file
    from shot_platform.free_throws.store import FreeThrowStore

    settings = Settings.from_env()
    if free_throws is None:
        from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

        name = f"synthetic_free_throws_{free_throw_seasons}_seasons_{games_per_season}_games.csv.gz"
        path = settings.home / "data" / name
        if not path.exists():
            click.echo(f"  generating {free_throw_seasons} synthetic free-throw seasons -> {path}")
            frame = generate_free_throws(seasons=free_throw_seasons, regular_games=games_per_season, seed=0)
            write_free_throws(frame, path)
        free_throws = str(path)
    click.echo(f"  ingesting {free_throws}")
    store = open_store(FreeThrowStore, settings)
    try:
        report = ingest_free_throw_file(store, free_throws, progress=progress_printer("inserted"))
    except FreeThrowFileError as error:
        fail(str(error))
    click.echo("  " + report.summary())
    remember_demo_file(settings, Path(free_throws))


def remember_demo_file(settings: Settings, path: Path) -> None:
    """Notes the demo's free-throw file, which `scores-api serve` replays by default (`make run`)."""
    note = settings.home / "data" / DEMO_FILE
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(str(path.resolve()) + "\n")


def demo_file(settings: Settings) -> Path | None:
    """The free-throw file `shot-platform demo` ingested last in this home, if any."""
    note = settings.home / "data" / DEMO_FILE
    return Path(note.read_text().strip()) if note.is_file() else None
