"""``shot-platform quarantine``: quarantined rows with their reasons. (``ingest`` is a shared group
of the domains' commands, see :mod:`shot_platform.cli.main`.)"""

from __future__ import annotations

import click

from shot_platform.cli.main import DomainChoice, open_store
from shot_platform.core.domain import domain as find_domain
from shot_platform.core.domain import domains, resolve
from shot_platform.core.settings import Settings


def _with_store() -> list:
    """The domains that keep rows (and so a quarantine) in a store: ``extra["store"]`` names its class."""
    return [d for d in domains() if "store" in d.extra]


@click.command("quarantine")
@click.option("--limit", default=20, show_default=True)
@click.option(
    "--domain",
    type=DomainChoice(lambda: [d.cli_name for d in _with_store()]),
    help="one domain's rows (default: every domain's)",
)
def quarantine(limit: int, domain: str | None) -> None:
    """List quarantined rows with their reasons."""
    settings = Settings.from_env()
    chosen = [find_domain(domain)] if domain else _with_store()
    for each in chosen:
        rows = open_store(resolve(each.extra["store"]), settings).load_quarantine()
        click.echo(f"{len(rows)} quarantined rows" + ("" if domain else f" ({each.cli_name})"))
        for row in rows.head(limit).itertuples():
            click.echo(f"{row.source}:{row.line}: {row.reason}")
