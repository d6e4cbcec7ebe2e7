"""The shared helper of the domains' ``shot-platform ingest ...`` commands, and ``shot-platform quarantine``.
(``ingest`` is a shared group of the domains' commands, see :mod:`shot_platform.cli.main`.)"""

from __future__ import annotations

from collections.abc import Callable

import click

from shot_platform.cli.main import DomainChoice, fail, open_store, progress_printer
from shot_platform.core.domain import domain as find_domain
from shot_platform.core.domain import domains, resolve
from shot_platform.core.ingest.quarantine import listing as quarantine_listing
from shot_platform.core.ingest.report import IngestReport
from shot_platform.core.ingest.rows import IngestFileError
from shot_platform.core.settings import Settings


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


def ingest_command(name: str, files: str, store_class: str, ingest_file: str) -> click.Command:
    """A domain's ``shot-platform ingest NAME PATH...``: ``files`` describes what it loads, ``store_class``
    and ``ingest_file`` are ``"module:attribute"`` references, imported when the command runs (so that
    ``--help`` stays quick)."""

    @click.command(
        name,
        help=f"Load {files} (.csv or .csv.gz). Safe to repeat: rows already\n"
        "stored count as duplicates; bad rows go to the quarantine with a reason.",
    )
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    def ingest(paths: tuple[str, ...]) -> None:
        ingest_files(open_store(resolve(store_class), Settings.from_env()), paths, resolve(ingest_file), name)

    return ingest


@click.command("quarantine")
@click.option("--limit", default=20, show_default=True)
@click.option(
    "--domain",
    type=DomainChoice(lambda: [d.cli_name for d in domains()]),
    help="one domain's rows (default: every domain's)",
)
def quarantine(limit: int, domain: str | None) -> None:
    """List quarantined rows (and the domains' own quarantined records, such as the sync's games) with their reasons."""
    settings = Settings.from_env()
    chosen = [find_domain(domain)] if domain else list(domains())
    for each in chosen:
        try:
            lines = quarantine_listing(settings.database_url, each.name, limit)
        except Exception as error:  # an unreachable or unusable store: one line, not a traceback
            fail(f"cannot read the quarantine: {error}. Check SHOT_PLATFORM_DATABASE_URL.")
        if not domain:
            lines[0] += f" ({each.cli_name})"
        click.echo("\n".join(lines))
