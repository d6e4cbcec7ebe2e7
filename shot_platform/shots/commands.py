"""The shot domain's commands: ``ingest shots``, ``generate shots``, ``predict shots`` and its part
of ``shot-platform demo`` (declared in :mod:`shot_platform.shots.domain`)."""

from __future__ import annotations

from pathlib import Path

import click

from shot_platform.cli.ingest import ingest_command
from shot_platform.cli.main import fail, model_or_fail, open_store, progress_printer
from shot_platform.core.settings import Settings

ingest_shots = ingest_command(
    "shots",
    "Kaggle shot-logs files",
    "shot_platform.shots.store:ShotStore",
    "shot_platform.shots.ingest.shots:ingest_shot_file",
)


@click.command("shots")
@click.option("--games", default=400, show_default=True, help="number of games")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(), help=".csv or .csv.gz")
def generate_shots(games: int, seed: int, output: str) -> None:
    """A synthetic season in the exact shot-logs schema, with realistic relationships."""
    from shot_platform.shots.synthetic import generate_shots, write_shots

    frame = generate_shots(games=games, seed=seed)
    path = write_shots(frame, output)
    click.echo(f"wrote {len(frame):,} shots from {games} games to {path}")


@click.group()
def predict() -> None:
    """Score files with the current champion model."""


@predict.command("shots", short_help="Score a shot-logs file: adds make_probability.")
@click.argument("input_path", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(), help=".csv or .csv.gz")
def predict_shots(input_path: str, output: str) -> None:
    """Add make_probability (and model_version, rejection_reason) to every row.

    The output folder is created if it does not exist.
    Outcome columns (SHOT_RESULT, FGM, PTS, W, FINAL_MARGIN) are optional and
    never read; unknown players get the league prior.
    """
    from shot_platform.shots.ingest.shots import ShotFileError, read_shot_table
    from shot_platform.shots.models.registry import open_shot_models
    from shot_platform.shots.scoring import score_frame
    from shot_platform.shots.store import ShotStore

    target = Path(output)
    if target.is_dir():
        fail(f"{output} is a directory: give a file name for the scored rows, e.g. {target / 'scored.csv'}")
    try:
        table = read_shot_table(input_path)
    except ShotFileError as error:
        fail(str(error))
    settings = Settings.from_env()
    model = model_or_fail(open_shot_models(settings), "shot_model")
    history = open_store(ShotStore, settings).load_player_history()
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


@click.command("shots")
@click.option("--data", type=click.Path(), default=None, help="a shot-logs file; default: a synthetic season")
@click.option("--games", default=400, show_default=True, help="games in the synthetic shot season")
def demo(data: str | None, games: int) -> None:
    """The shots' demo data: the given shot-logs file, or a synthetic season, ingested."""
    settings = Settings.from_env()
    if data is None:
        from shot_platform.shots.synthetic import generate_shots, write_shots

        path = settings.home / "data" / f"synthetic_shot_logs_{games}_games.csv.gz"
        if not path.exists():
            click.echo(f"  generating a synthetic season of {games} games -> {path}")
            write_shots(generate_shots(games=games, seed=0), path)
        data = str(path)
    click.echo(f"  ingesting {data}")
    from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file
    from shot_platform.shots.store import ShotStore

    try:
        report = ingest_shot_file(open_store(ShotStore, settings), data, progress=progress_printer("inserted"))
    except ShotFileError as error:
        fail(str(error))
    click.echo("  " + report.summary())
