"""Command group and shared helpers of the ``shot-platform`` command."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import click

from shot_platform.core.settings import Settings

if TYPE_CHECKING:
    from shot_platform.core.model_store import ModelStore
    from shot_platform.free_throws.store import FreeThrowStore
    from shot_platform.shots.models.artifact import ShotModel
    from shot_platform.shots.store import ShotStore

# Subcommands load on use: `shot-platform --help` should not import Dagster and scikit-learn.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("db", "db", "The store's schema revision; `db upgrade` brings a store to the current schema."),
    "demo": ("demo", "demo", "Ingest data (a synthetic season by default), materialise everything, summarise."),
    "generate": ("generate", "generate", "Write synthetic data in the Kaggle schemas."),
    "ingest": ("ingest", "ingest", "Load data files into the store."),
    "materialize": ("materialize", "materialize_command", "Run the asset graph and its checks in this process."),
    "models": ("models", "models", "List model versions; promote one (the manual override, and rollback)."),
    "predict": ("predict", "predict", "Score files with the current champion model."),
    "predictions": ("predictions", "predictions", "Export stored predictions (score_beater) as CSV."),
    "quarantine": ("ingest", "quarantine", "List quarantined rows with their reasons."),
    "scores-api": ("scores_api", "scores_api", "The Scores API replay server: serve a free-throw file as the API."),
    "serve": ("serve", "serve", "Serve POST /predict with the champion model (BentoML, port 5000)."),
    "sync": ("sync", "sync", "Game by game from the Scores API: counts, features, labels, predictions."),
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"shot_platform.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


def open_store(settings: Settings) -> ShotStore:
    from shot_platform.shots.store import ShotStore

    store = ShotStore(settings.database_url)
    try:
        store.create_schema()
    except Exception as error:
        fail(
            f"cannot open the store at {store.engine.url.render_as_string(hide_password=True)}: {error}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    return store


def open_free_throw_store(settings: Settings) -> FreeThrowStore:
    from shot_platform.free_throws.store import FreeThrowStore

    store = FreeThrowStore(settings.database_url)
    try:
        store.create_schema()
    except Exception as error:
        fail(
            f"cannot open the store at {store.engine.url.render_as_string(hide_password=True)}: {error}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    return store


def open_models(settings: Settings) -> ModelStore[ShotModel]:
    from shot_platform.shots.models.registry import open_shot_models

    return open_shot_models(settings)


def fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def progress_printer(label: str):
    """A progress callback that prints at most ~10 lines for a long run."""
    last = {"shown": -1}

    def show(done: int, total: int) -> None:
        step = max(1, total // 10)
        if done // step != last["shown"] or done == total:
            last["shown"] = done // step
            click.echo(f"  {label}: {done:,}/{total:,}", err=True)

    return show


@click.group(cls=LazyGroup)
@click.version_option(package_name="shot_platform")
def cli() -> None:
    """shot_platform: data in, features, models, predictions, monitoring.

    Everything is stored under $SHOT_PLATFORM_HOME (default ./.shot_platform);
    set SHOT_PLATFORM_DATABASE_URL to use PostgreSQL instead of SQLite.
    """
    from shot_platform.core.settings import SettingsError

    try:
        Settings.from_env()
    except SettingsError as error:
        fail(str(error))


def model_or_fail(models: ModelStore[ShotModel]) -> ShotModel:
    """The champion, or exit 1 saying why there is none (no model yet, a damaged pointer or
    artifact) and what to do; never a traceback."""
    from shot_platform.core.model_store import RegistryError

    try:
        return models.load()
    except RegistryError as error:
        fail(str(error))
