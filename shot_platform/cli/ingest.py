"""``shot-platform ingest shots|free-throws PATH``, and ``shot-platform quarantine``."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_free_throw_store, open_store, progress_printer
from shot_platform.core.settings import Settings
from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file


@click.group()
def ingest() -> None:
    """Load data files into the store."""


@ingest.command("shots")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def ingest_shots(paths: tuple[str, ...]) -> None:
    """Load Kaggle shot-logs files (.csv or .csv.gz). Safe to repeat: rows already
    stored count as duplicates; bad rows go to the quarantine with a reason."""
    store = open_store(Settings.from_env())
    for path in paths:
        try:
            report = ingest_shot_file(store, path, progress=progress_printer("inserted"))
        except ShotFileError as error:
            fail(str(error))
        click.echo(
            f"inserted {report.inserted}, duplicate {report.duplicates}, quarantined {report.quarantined}"
            + (f" ({report.conflicts} conflicting with stored rows)" if report.conflicts else "")
        )
        click.echo(report.summary(), err=True)
        if report.quarantined:
            click.echo(
                "  quarantined rows and their reasons are in the shots_quarantine table "
                "(`shot-platform quarantine` lists them)",
                err=True,
            )


@ingest.command("free-throws")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def ingest_free_throws(paths: tuple[str, ...]) -> None:
    """Load Kaggle "NBA free throws" files (.csv or .csv.gz). Safe to repeat: rows already
    stored count as duplicates; bad rows go to the quarantine with a reason."""
    from shot_platform.free_throws.ingest.events import FreeThrowFileError, ingest_free_throw_file

    store = open_free_throw_store(Settings.from_env())
    for path in paths:
        try:
            report = ingest_free_throw_file(store, path, progress=progress_printer("inserted"))
        except FreeThrowFileError as error:
            fail(str(error))
        click.echo(f"inserted {report.inserted}, duplicate {report.duplicates}, quarantined {report.quarantined}")
        click.echo(report.summary(), err=True)
        if report.quarantined:
            click.echo(
                "  quarantined rows and their reasons are in the free_throws_quarantine table "
                "(`shot-platform quarantine --domain free-throws` lists them)",
                err=True,
            )


@click.command("quarantine")
@click.option("--limit", default=20, show_default=True)
@click.option("--domain", type=click.Choice(["shots", "free-throws"]), default="shots", show_default=True)
def quarantine(limit: int, domain: str) -> None:
    """List quarantined rows with their reasons."""
    settings = Settings.from_env()
    store = open_store(settings) if domain == "shots" else open_free_throw_store(settings)
    rows = store.load_quarantine()
    click.echo(f"{len(rows)} quarantined rows")
    for row in rows.head(limit).itertuples():
        click.echo(f"{row.source}:{row.line}: {row.reason}")
