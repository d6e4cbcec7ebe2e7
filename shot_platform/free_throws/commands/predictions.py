"""``shot-platform predictions score-beater -o PATH``: stored score_beater predictions as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import click

from shot_platform.cli.main import fail, open_store, progress_bar
from shot_platform.core.settings import Settings


class SeasonType(click.ParamType):
    """A season as its start year (2012) or as the data spells it ("2012 - 2013", "2012-13")."""

    name = "season"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        start = text.split("-")[0].strip()
        if len(start) == 4 and start.isdigit():
            return int(start)
        self.fail(f"{value!r} is not a season: give its start year, e.g. 2012 (or 2012-13)", param, ctx)


@click.group()
def predictions() -> None:
    """Export stored predictions."""


@predictions.command("score-beater", short_help="Stored score_beater predictions as CSV or Parquet.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="a .csv, .csv.gz or .parquet file (the format follows the name)",
)
@click.option("--season", "seasons", multiple=True, type=SeasonType(), help="only this season (repeatable)")
@click.option("--player", "players", multiple=True, help="only this player, as named in the data (repeatable)")
@click.option("--model-version", "model_versions", multiple=True, help="only this model version (repeatable)")
@click.option("--latest", is_flag=True, help="of each player-season, only the prediction made last (in force now)")
def score_beater(
    output: Path, seasons: tuple[int, ...], players: tuple[str, ...], model_versions: tuple[str, ...], latest: bool
) -> None:
    """Write stored score_beater predictions (CSV or Parquet), streamed.

    Columns: season (as in the data, e.g. "2012 - 2013"), player, games_played (regular-season games
    final league-wide when it was made; 0 = preseason), probability, model_version, made_at (UTC).
    """
    from sqlalchemy import func, select

    from shot_platform.free_throws.prediction_export import ExportError, PredictionFilter, export, output_format
    from shot_platform.free_throws.store import FreeThrowStore, tables

    try:
        output_format(output)
    except ExportError as error:
        fail(str(error))
    store = open_store(FreeThrowStore, Settings.from_env())
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(tables.score_beater_predictions)).scalar_one()
    if not stored:
        fail(
            "no score_beater predictions stored yet: they are made by "
            "`shot-platform materialize --select group:free_throws` and by `shot-platform sync free-throws`"
        )
    chosen = PredictionFilter(seasons=seasons, players=players, model_versions=model_versions, latest=latest)
    try:
        with progress_bar("exporting", total=None if (seasons or players or model_versions or latest) else stored,
                          unit="rows") as advance:  # fmt: skip
            written = export(store.engine, chosen, output, progress=advance)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}. Choose a writable place with -o.")
    click.echo(f"{written:,} score_beater predictions written to {output}")
    if not written:
        click.echo("  none matched the filters; `--help` lists them", err=True)
