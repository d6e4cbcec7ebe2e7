"""``shot-platform generate shots``."""

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
