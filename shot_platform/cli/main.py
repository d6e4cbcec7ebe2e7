"""Command group and shared helpers of the ``shot-platform`` command."""

from __future__ import annotations

import sys

import click

from shot_platform.models.model_store import ModelNotFoundError, ModelStore, open_model_store
from shot_platform.settings import Settings
from shot_platform.store import ShotStore


def open_store(settings: Settings) -> ShotStore:
    store = ShotStore(settings.database_url)
    try:
        store.create_schema()
    except Exception as error:
        fail(
            f"cannot open the store at {store.engine.url.render_as_string(hide_password=True)}: {error}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    return store


def open_models(settings: Settings) -> ModelStore:
    return open_model_store(settings.model_store, settings.s3_endpoint_url)


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


@click.group()
@click.version_option(package_name="shot_platform")
def cli() -> None:
    """shot_platform: data in, features, models, predictions, monitoring.

    Everything is stored under $SHOT_PLATFORM_HOME (default ./.shot_platform);
    set SHOT_PLATFORM_DATABASE_URL to use PostgreSQL instead of SQLite.
    """


def register() -> None:
    from shot_platform.cli import demo, generate, ingest, materialize, models, predict, serve  # noqa: F401


def model_or_fail(models: ModelStore):
    try:
        return models.load()
    except ModelNotFoundError as error:
        fail(str(error))


register()
