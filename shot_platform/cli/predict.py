"""``shot-platform predict shots IN -o OUT``."""

from __future__ import annotations

from pathlib import Path

import click

from shot_platform.cli.main import fail, model_or_fail, open_models, open_store
from shot_platform.core.settings import Settings
from shot_platform.shots.ingest.shots import ShotFileError, read_shot_table
from shot_platform.shots.scoring import score_frame


@click.group()
def predict() -> None:
    """Score files with the current champion model."""


@predict.command("shots")
@click.argument("input_path", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(), help=".csv or .csv.gz")
def predict_shots(input_path: str, output: str) -> None:
    """Add make_probability (and model_version, rejection_reason) to every row.

    The output folder is created if it does not exist.
    Outcome columns (SHOT_RESULT, FGM, PTS, W, FINAL_MARGIN) are optional and
    never read; unknown players get the league prior.
    """
    target = Path(output)
    if target.is_dir():
        fail(f"{output} is a directory: give a file name for the scored rows, e.g. {target / 'scored.csv'}")
    try:
        table = read_shot_table(input_path)
    except ShotFileError as error:
        fail(str(error))
    settings = Settings.from_env()
    model = model_or_fail(open_models(settings))
    history = open_store(settings).load_player_history()
    scored = score_frame(table.frame, model, history, problems=table.problems)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # a missing output folder is created
        scored.to_csv(target, index=False)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}. Choose a writable place with -o.")
    rejected = int((scored["rejection_reason"] != "").sum())
    click.echo(f"scored {len(scored) - rejected:,} rows with model {model.version} -> {output}")
    if rejected:
        click.echo(f"  {rejected} rows could not be scored; see their rejection_reason column", err=True)
