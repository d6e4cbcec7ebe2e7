"""Command group and shared helpers of the ``shot-platform`` command.

The shared commands are listed here; every domain command comes from the registered domains
(:func:`shot_platform.core.domain.domains`): top-level ones, and subcommands of the shared
groups ``ingest``, ``generate`` and ``sync``.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeVar

import click

from shot_platform.core.domain import domains, resolve
from shot_platform.core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from shot_platform.core.model_store import ModelStore

# Subcommands load on use: `shot-platform --help` should not import Dagster and scikit-learn.
# name: (the click command as "module:attribute", or None for a shared group of domain commands; help)
COMMANDS: dict[str, tuple[str | None, str]] = {
    "db": ("shot_platform.cli.db:db", "The store's schema revision; `db upgrade` brings it to the current schema."),
    "demo": ("shot_platform.cli.demo:demo", "Ingest demo data for every domain, materialise everything, summarise."),
    "generate": (None, "Write synthetic data in the Kaggle schemas."),
    "ingest": (None, "Load data files into the store."),
    "materialize": ("shot_platform.cli.materialize:materialize_command", "Run the asset graph and its checks here."),
    "models": ("shot_platform.cli.models:models", "List model versions; promote one (the manual override, rollback)."),
    "quarantine": ("shot_platform.cli.ingest:quarantine", "List quarantined rows with their reasons."),
    "serve": ("shot_platform.cli.serve:serve", "Serve every domain's endpoints and models (BentoML, port 5000)."),
    "sync": (None, "Process new data from the domains' live sources, until caught up."),
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs.

    ``group`` None is the root (the shared commands and the domains' top-level ones); a name is a
    shared group, whose subcommands are the domains' commands declared with that group.
    """

    def __init__(self, *args, group: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.group = group

    def table(self) -> dict[str, tuple[str | None, str]]:
        """name: (target, help) of every subcommand."""
        found = dict(COMMANDS) if self.group is None else {}
        for domain in domains():
            for command in domain.commands:
                if command.group != self.group:
                    continue
                if command.name in found:
                    raise click.ClickException(
                        f"domain {domain.name!r} declares the command {command.name!r}, which already exists"
                    )
                found[command.name] = (command.target, command.help)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.table())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = self.table().get(name)
        if entry is None:
            return None
        target, help_text = entry
        if target is None:
            return LazyGroup(name=name, group=name, help=help_text)
        return resolve(target)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        table = self.table()
        with formatter.section("Commands"):
            formatter.write_dl([(name, table[name][1]) for name in sorted(table)])


class DomainChoice(click.Choice):
    """A choice among names the registered domains give, read when it is used: a command module
    imported before a domain registers (in a test process) still offers that domain's names."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self.names = names
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(sorted(self.names()))

    @choices.setter
    def choices(self, value: Iterable[str]) -> None:
        """click.Choice assigns its fixed choices here; the names are read from the domains instead."""


class Store(Protocol):
    """What :func:`open_store` needs of a domain's store."""

    engine: Engine

    def create_schema(self) -> None: ...


StoreT = TypeVar("StoreT", bound=Store)


def open_store(store_class: Callable[[str], StoreT], settings: Settings) -> StoreT:
    """A domain's store on the configured database, its schema checked; one line and exit 1 when
    the database cannot be used."""
    store = store_class(settings.database_url)
    try:
        store.create_schema()
    except Exception as error:
        fail(
            f"cannot open the store at {store.engine.url.render_as_string(hide_password=True)}: {error}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    return store


def fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def progress_printer(label: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a bar on a terminal (stderr), silent otherwise."""
    state: dict[str, Any] = {}

    def show(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = _bar(label, total, "rows")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show


def _bar(label: str, total: int | None, unit: str, stream: TextIO | None = None):
    from tqdm import tqdm

    # disable=None: no bar when the stream is not a terminal (logs, pipes, CI stay clean)
    return tqdm(desc=f"  {label}", total=total, unit=f" {unit}", unit_scale=True, file=stream or sys.stderr,
                disable=None, leave=True, dynamic_ncols=True)  # fmt: skip


@contextlib.contextmanager
def progress_bar(
    label: str, total: int | None, unit: str, stream: TextIO | None = None
) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal (stderr), silent otherwise; yields ``advance(done)``, taking the count so far."""
    bar = _bar(label, total, unit, stream)
    try:
        yield lambda done: bar.update(done - bar.n)
    finally:
        bar.close()


@click.group(cls=LazyGroup)
@click.version_option(package_name="shot_platform")
def cli() -> None:
    """shot_platform: data in, features, models, predictions, monitoring.

    Everything is stored under $SHOT_PLATFORM_HOME (default ./.shot_platform);
    set SHOT_PLATFORM_DATABASE_URL to use PostgreSQL instead of SQLite.
    """
    from shot_platform.core.settings import SettingsError

    # Dagster warns about its own use of a beta parameter when it parses a `group:` selection: nothing
    # a user can act on (matched by message, so that this module still imports no Dagster).
    warnings.filterwarnings("ignore", message=r"Parameter `include_sources` of function `AssetSelection\.groups`")
    try:
        Settings.from_env()
    except SettingsError as error:
        fail(str(error))


def model_or_fail(models: ModelStore, name: str | None = None):
    """The champion, or exit 1 saying why there is none (no model yet, a damaged pointer or
    artifact) and what to do; never a traceback. With the registered model's ``name``, a registry
    with no version names the steps that train one (`ingest` first when its domain has no data)."""
    from shot_platform.core.model_store import RegistryError

    try:
        return models.load()
    except RegistryError as error:
        try:
            empty = name is not None and not models.versions()
        except (RegistryError, OSError):
            empty = False
        fail(f"no {name} model yet: {how_to_train(name)}" if empty and name else str(error))


def train_command(name: str) -> str:
    """The command that trains the registered model ``name``: its domain's asset group."""
    from shot_platform.core.domain import models

    owner, _ = models()[name]
    return f"shot-platform materialize --select group:{owner.name}"


def how_to_train(name: str) -> str:
    """The next step that trains ``name``: its domain's ingest first when the store has none of its data."""
    from shot_platform.core.domain import models

    owner, _ = models()[name]
    train = f"train one with `{train_command(name)}`"
    if not owner.has_data:
        return train
    try:
        stored = resolve(owner.has_data)(Settings.from_env())
    except Exception:  # an unusable store is named by the commands that read it; here it only guides
        return train
    return train if stored else f"load data with `shot-platform ingest {owner.cli_name} FILE`, then {train}"
