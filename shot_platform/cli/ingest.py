"""``shot-platform ingest shots|free-throws PATH``, and ``shot-platform quarantine``."""

from __future__ import annotations

from collections.abc import Callable

import click

from shot_platform.cli.main import fail, open_free_throw_store, open_store, progress_printer
from shot_platform.core.ingest.quarantine import listing as quarantine_listing
from shot_platform.core.ingest.report import IngestReport
from shot_platform.core.ingest.rows import IngestFileError
from shot_platform.core.settings import Settings


@click.group()
def ingest() -> None:
    """Load data files into the store."""


def ingest_files(store: object, paths: tuple[str, ...], ingest_file: Callable[..., IngestReport], domain: str) -> None:
    """Ingest each file, print its report; an unusable file stops with its one-line error."""
    for path in paths:
        try:
            report = ingest_file(store, path, progress=progress_printer("inserted"))
        except IngestFileError as error:
            fail(str(error))
        click.echo(report.line())
        click.echo(report.summary(), err=True)
        if report.quarantined:
            click.echo(
                "  quarantined rows and their reasons are in the quarantine table "
                f"(`shot-platform quarantine --domain {domain}` lists them)",
                err=True,
            )


@ingest.command("shots")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def ingest_shots(paths: tuple[str, ...]) -> None:
    """Load Kaggle shot-logs files (.csv or .csv.gz). Safe to repeat: rows already
    stored count as duplicates; bad rows go to the quarantine with a reason."""
    from shot_platform.shots.ingest.shots import ingest_shot_file

    ingest_files(open_store(Settings.from_env()), paths, ingest_shot_file, "shots")


@ingest.command("free-throws")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def ingest_free_throws(paths: tuple[str, ...]) -> None:
    """Load Kaggle "NBA free throws" files (.csv or .csv.gz). Safe to repeat: rows already
    stored count as duplicates; bad rows go to the quarantine with a reason."""
    from shot_platform.free_throws.ingest.events import ingest_free_throw_file

    ingest_files(open_free_throw_store(Settings.from_env()), paths, ingest_free_throw_file, "free-throws")


@click.command("quarantine")
@click.option("--limit", default=20, show_default=True)
@click.option("--domain", type=click.Choice(["shots", "free-throws"]), default="shots", show_default=True)
def quarantine(limit: int, domain: str) -> None:
    """List quarantined rows (and the sync's quarantined games) with their reasons."""
    settings = Settings.from_env()
    try:
        lines = quarantine_listing(settings.database_url, domain, limit)
    except Exception as error:  # an unreachable or unusable store: one line, not a traceback
        fail(f"cannot read the quarantine: {error}. Check SHOT_PLATFORM_DATABASE_URL.")
    click.echo("\n".join(lines))
