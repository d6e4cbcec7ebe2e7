"""``shot-platform models list|promote``: the model registry by hand."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_models
from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.settings import Settings


@click.group()
def models() -> None:
    """List model versions; promote one (the manual override, and rollback)."""


@models.command("list")
def list_models() -> None:
    """Versions with their test metrics and promotion decisions; * marks the champion."""
    store = open_models(Settings.from_env())
    champion = store.champion_version()
    versions = store.versions()
    if not versions:
        click.echo(f"no models in {store.blobs.describe()}: train one with `shot-platform materialize`")
        return
    click.echo(f"{'':2}{'version':24} {'candidate':20} {'auc':>7} {'log_loss':>9} {'test dates':24} decision")
    for version in versions:
        meta = store.metadata(version)
        metrics = meta.get("metrics", {})
        dates = " to ".join(meta.get("test_dates", []))
        decision = meta.get("promotion", {}).get("reason", "")
        mark = "* " if version == champion else "  "
        click.echo(
            f"{mark}{version:24} {meta.get('candidate', ''):20} {metrics.get('auc', float('nan')):7.4f} "
            f"{metrics.get('log_loss', float('nan')):9.4f} {dates:24} {decision}"
        )


@models.command("promote")
@click.argument("version")
@click.option("--reason", default="manual promotion", show_default=True)
def promote(version: str, reason: str) -> None:
    """Make VERSION the champion (running services switch within their poll interval)."""
    store = open_models(Settings.from_env())
    try:
        record = store.promote(version, reason)
    except ModelNotFoundError as error:
        fail(f"{error}; `shot-platform models list` shows the versions")
    click.echo(f"champion is now {record['version']} (was {record['previous']})")
