"""``shot-platform models list|promote [--model NAME]``: the model registries by hand, including their repair.

Every model a registered domain declares (``Domain.models``) is listed; without ``--model``, ``list``
shows each registry and ``promote`` finds the registry holding the version.
"""

from __future__ import annotations

from typing import Any

import click

from shot_platform.cli.main import DomainChoice, fail, how_to_train, train_command
from shot_platform.core import domain
from shot_platform.core.model_store import ModelStore, RegistryError, one_line
from shot_platform.core.settings import Settings

model_option = click.option(
    "--model",
    "model_name",
    type=DomainChoice(domain.models),
    default=None,
    help="which model's registry (default: every one for `list`; the one holding VERSION for `promote`)",
)


def open_registry(name: str, settings: Settings) -> ModelStore:
    """The registry of the registered model ``name``."""
    _, model = domain.models()[name]
    return domain.resolve(model.open)(settings)


def _describe(name: str, meta: dict[str, Any]) -> dict[str, str]:
    _, model = domain.models()[name]
    if model.describe:
        return domain.resolve(model.describe)(meta)
    dates = meta.get("test_dates") or []
    return {
        "candidate": _text(meta.get("candidate", "")),
        "tested_on": " to ".join(str(d) for d in dates) if isinstance(dates, list) else str(dates),
    }


@click.group()
def models() -> None:
    """List model versions; promote one (the manual override, and rollback)."""


@models.command("list", short_help="Every model's versions, metrics and champion.")
@model_option
def list_models(model_name: str | None) -> None:
    """Versions with their test metrics and promotion decisions; * marks the champion.

    A damaged champion pointer or version is shown with the command that repairs it.
    """
    settings = Settings.from_env()
    names = [model_name] if model_name else sorted(domain.models())
    for name in names:
        if len(names) > 1:
            click.echo(f"{name}:")
        _list(name, open_registry(name, settings))


def _list(name: str, store: ModelStore) -> None:
    try:
        pointer = store.champion_pointer()
        versions = store.versions()
    except (RegistryError, OSError) as error:
        fail(f"cannot list the {name} registry: {one_line(error)}; repair or move the named entry, then retry")
    if pointer.damaged:
        click.secho(f"warning: {name}: {pointer.problem}: there is no usable champion", fg="yellow", err=True)
        fix = f"shot-platform models promote {versions[-1]}" if versions else train_command(name)
        click.secho(f"  repair: `{fix}` (or promote any version listed below)", fg="yellow", err=True)
    if not versions:
        click.echo(f"no {name} models in {store.blobs.describe()}: {how_to_train(name)}")
        return
    click.echo(f"{'':2}{'version':24} {'candidate':20} {'auc':>7} {'log_loss':>9} {'tested on':24} decision")
    for version in versions:
        mark = "* " if version == pointer.version else "  "
        try:
            meta = store.metadata(version)
        except (RegistryError, ValueError) as error:
            click.echo(f"{mark}{_text(version):24} damaged: {error}")
            continue
        # Every field is read defensively: metadata written by hand or by a stranger must not crash the list.
        metrics = _object(meta.get("metrics"))
        try:
            shown = _describe(name, meta)
        except (TypeError, ValueError, AttributeError):
            shown = {"candidate": "?", "tested_on": "?"}
        decision = _text(_object(meta.get("promotion")).get("reason", ""))
        click.echo(
            f"{mark}{_text(version):24} {_text(shown['candidate']):20} {_number(metrics.get('auc')):>7} "
            f"{_number(metrics.get('log_loss')):>9} {_text(shown['tested_on']):24} {decision}"
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


def _holding(version: str, settings: Settings) -> str:
    """The one registry that has ``version``; fails naming ``--model`` when none or several do."""
    holders, problems = [], []
    for name in sorted(domain.models()):
        try:
            if version in open_registry(name, settings).versions():
                holders.append(name)
        except (RegistryError, OSError) as error:
            problems.append(f"{name}: {one_line(error)}")
    if len(holders) == 1:
        return holders[0]
    if holders:
        choices = " or ".join(f"--model {name}" for name in holders)
        fail(f"several registries have version {version}: name the model ({choices})")
    # A version no registry lists completely may still be a damaged one: the one registry whose
    # format accepts the name says what is wrong with it (promote's own error).
    accepting = [name for name in sorted(domain.models()) if _accepts(name, version, settings)]
    if len(accepting) == 1:
        return accepting[0]
    unreadable = f" ({'; '.join(problems)})" if problems else ""
    fail(f"no complete version {version} in any registry{unreadable}; `shot-platform models list` shows them")
    raise AssertionError  # fail() exits


def _accepts(name: str, version: str, settings: Settings) -> bool:
    try:
        return open_registry(name, settings).artifact.version_problem(version) is None
    except (RegistryError, OSError):
        return False


@models.command("promote", short_help="Make VERSION the champion (or roll back).")
@click.argument("version")
@click.option("--reason", default="manual promotion", show_default=True)
@model_option
def promote(version: str, reason: str, model_name: str | None) -> None:
    """Make VERSION the champion (running services switch within their poll interval).

    The version's artifact is checked against the checksums recorded when it was saved and
    loaded before the pointer moves; a damaged pointer is rewritten.
    """
    settings = Settings.from_env()
    name = model_name or _holding(version, settings)
    store = open_registry(name, settings)
    try:
        record = store.promote(version, reason)
    except (RegistryError, OSError) as error:
        message = str(error) if isinstance(error, RegistryError) else one_line(error)
        fail(f"{message}; the champion pointer is unchanged (`shot-platform models list --model {name}`)")
    click.echo(f"champion is now {record['version']} (was {record['previous'] or 'none'})")
    if record.get("repaired"):
        click.echo(f"  repaired the pointer: {record['repaired']}")
