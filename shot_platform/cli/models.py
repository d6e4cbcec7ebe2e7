"""``shot-platform models list|promote [--model NAME]``: the model registry by hand."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_models
from shot_platform.core.model_store import ModelNotFoundError, ModelStore
from shot_platform.core.settings import Settings


def _open_score_beater(settings: Settings) -> ModelStore:
    from shot_platform.core.saved_model_store import open_saved_model_store

    return open_saved_model_store(settings.model_store, settings.s3_endpoint_url, "score_beater")


# Every registered model: its name and how to open its store (the shot model is the default).
MODEL_STORES = {"shot_model": open_models, "score_beater": _open_score_beater}
model_option = click.option(
    "--model",
    "model_name",
    type=click.Choice(sorted(MODEL_STORES)),
    default="shot_model",
    show_default=True,
    help="which model's registry",
)


@click.group()
def models() -> None:
    """List model versions; promote one (the manual override, and rollback)."""


@models.command("list")
@model_option
def list_models(model_name: str) -> None:
    """Versions with their test metrics and promotion decisions; * marks the champion."""
    store = MODEL_STORES[model_name](Settings.from_env())
    champion = store.champion_version()
    versions = store.versions()
    if not versions:
        click.echo(f"no models in {store.blobs.describe()}: train one with `shot-platform materialize`")
        return
    click.echo(f"{'':2}{'version':24} {'candidate':20} {'auc':>7} {'log_loss':>9} {'test dates':24} decision")
    for version in versions:
        meta = store.metadata(version)
        metrics = meta.get("metrics", {})
        dates = " to ".join(str(d) for d in meta.get("test_dates") or meta.get("test_seasons") or [])
        decision = meta.get("promotion", {}).get("reason", "")
        mark = "* " if version == champion else "  "
        click.echo(
            f"{mark}{version:24} {meta.get('candidate', ''):20} {metrics.get('auc', float('nan')):7.4f} "
            f"{metrics.get('log_loss', float('nan')):9.4f} {dates:24} {decision}"
        )


@models.command("promote")
@click.argument("version")
@click.option("--reason", default="manual promotion", show_default=True)
@model_option
def promote(version: str, reason: str, model_name: str) -> None:
    """Make VERSION the champion (running services switch within their poll interval)."""
    store = MODEL_STORES[model_name](Settings.from_env())
    try:
        record = store.promote(version, reason)
    except ModelNotFoundError as error:
        fail(f"{error}; `shot-platform models list --model {model_name}` shows the versions")
    click.echo(f"champion is now {record['version']} (was {record['previous']})")
