"""``shot-platform generate shots`` and ``shot-platform generate free-throws``."""

from __future__ import annotations

import click


@click.group()
def generate() -> None:
    """Write synthetic data in the Kaggle schemas."""


@generate.command("shots")
@click.option("--games", default=400, show_default=True, help="number of games")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(), help=".csv or .csv.gz")
def generate_shots_command(games: int, seed: int, output: str) -> None:
    """A synthetic season in the exact shot-logs schema, with realistic relationships."""
    from shot_platform.shots.synthetic import generate_shots, write_shots

    frame = generate_shots(games=games, seed=seed)
    path = write_shots(frame, output)
    click.echo(f"wrote {len(frame):,} shots from {games} games to {path}")


@generate.command("free-throws")
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
def generate_free_throws_command(
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
