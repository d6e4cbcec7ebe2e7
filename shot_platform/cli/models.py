"""``shot-platform models list|promote [--model NAME]``: the model registry by hand, including its repair."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail, open_models
from shot_platform.core.model_store import ModelStore, RegistryError, one_line
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
    """Versions with their test metrics and promotion decisions; * marks the champion.

    A damaged champion pointer or version is shown with the command that repairs it.
    """
    store = MODEL_STORES[model_name](Settings.from_env())
    try:
        pointer = store.champion_pointer()
        versions = store.versions()
    except (RegistryError, OSError) as error:
        fail(f"cannot list the {model_name} registry: {one_line(error)}; repair or move the named entry, then retry")
    if pointer.damaged:
        click.secho(f"warning: {pointer.problem}: there is no usable champion", fg="yellow", err=True)
        which = "" if model_name == "shot_model" else f"--model {model_name} "
        fix = f"shot-platform models promote {which}{versions[-1]}" if versions else "shot-platform materialize"
        click.secho(f"  repair: `{fix}` (or promote any version listed below)", fg="yellow", err=True)
    if not versions:
        click.echo(f"no models in {store.blobs.describe()}: train one with `shot-platform materialize`")
        return
    click.echo(f"{'':2}{'version':24} {'candidate':20} {'auc':>7} {'log_loss':>9} {'test dates':24} decision")
    for version in versions:
        mark = "* " if version == pointer.version else "  "
        try:
            meta = store.metadata(version)
        except (RegistryError, ValueError) as error:
            click.echo(f"{mark}{_text(version):24} damaged: {error}")
            continue
        # Every field is read defensively: metadata written by hand or by a stranger must not crash the list.
        metrics = _object(meta.get("metrics"))
        dates = meta.get("test_dates") or meta.get("test_seasons") or []
        dates = " to ".join(str(d) for d in dates) if isinstance(dates, list) else str(dates)
        decision = _text(_object(meta.get("promotion")).get("reason", ""))
        click.echo(
            f"{mark}{_text(version):24} {_text(meta.get('candidate', '')):20} {_number(metrics.get('auc')):>7} "
            f"{_number(metrics.get('log_loss')):>9} {_text(dates):24} {decision}"
        )


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value, limit: int = 80) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value) -> str:
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return "-"


@models.command("promote")
@click.argument("version")
@click.option("--reason", default="manual promotion", show_default=True)
@model_option
def promote(version: str, reason: str, model_name: str) -> None:
    """Make VERSION the champion (running services switch within their poll interval).

    The version's artifact is checked against the checksums recorded when it was saved and
    loaded before the pointer moves; a damaged pointer is rewritten.
    """
    store = MODEL_STORES[model_name](Settings.from_env())
    try:
        record = store.promote(version, reason)
    except (RegistryError, OSError) as error:
        message = str(error) if isinstance(error, RegistryError) else one_line(error)
        fail(f"{message}; the champion pointer is unchanged (`shot-platform models list --model {model_name}`)")
    click.echo(f"champion is now {record['version']} (was {record['previous'] or 'none'})")
    if record.get("repaired"):
        click.echo(f"  repaired the pointer: {record['repaired']}")
