"""``shot-platform predictions score-beater -o PATH``: every stored score_beater prediction as CSV."""

from __future__ import annotations

from pathlib import Path

import click

from shot_platform.cli.main import open_store
from shot_platform.core.settings import Settings

COLUMNS = ["season", "player", "games_played", "probability", "model_version", "made_at"]


@click.group()
def predictions() -> None:
    """Export stored predictions."""


@predictions.command("score-beater")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def score_beater(output: Path) -> None:
    """season (as in the data, e.g. "2014 - 2015"), player, games_played (regular-season games final
    league-wide when it was made; 0 = preseason), probability, model_version, made_at (UTC)."""
    from shot_platform.free_throws.schema import season_label
    from shot_platform.free_throws.store import FreeThrowStore

    store = open_store(FreeThrowStore, Settings.from_env())
    frame = store.load_predictions()
    frame["season"] = frame["season"].map(lambda start: season_label(int(start)))
    frame = frame.sort_values(["season", "games_played", "player", "model_version"], kind="stable")
    output.parent.mkdir(parents=True, exist_ok=True)
    frame[COLUMNS].to_csv(output, index=False, float_format="%.17g")
    click.echo(f"{len(frame)} score_beater predictions written to {output}")
