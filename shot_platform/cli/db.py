"""``shot-platform db upgrade|current``: the store's schema revision, and bringing it up to date."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail
from shot_platform.core.settings import Settings


@click.group()
def db() -> None:
    """The store's schema: which revision it has, and upgrading it to the current one."""


def _engine():
    from shot_platform.core.database import create_store_engine

    try:
        return create_store_engine(Settings.from_env().database_url)
    except Exception as error:  # an unknown dialect, a driver that is not installed, a malformed URL
        fail(
            f"cannot use SHOT_PLATFORM_DATABASE_URL: {str(error).splitlines()[0]}; give a sqlite:/// or postgresql URL"
        )


def _where(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@db.command(short_help="Bring the store to the current schema.")
def upgrade() -> None:
    """Bring the store (SHOT_PLATFORM_DATABASE_URL, or the embedded SQLite) to the current schema.

    Safe to run again and beside other processes: a store that is current is left alone.
    """
    from shot_platform.core import schema_migrations

    engine = _engine()
    try:
        before = schema_migrations.current_revision(engine)
        schema_migrations.upgrade(engine)
    except Exception as error:
        fail(
            f"cannot upgrade the store at {_where(engine)}: {str(error).splitlines()[0]}. "
            "Check SHOT_PLATFORM_DATABASE_URL and that the database server is up."
        )
    finally:
        engine.dispose()
    head = schema_migrations.head_revision()
    if before == head:
        click.echo(f"store at {_where(engine)} is current (revision {head})")
    else:
        click.echo(f"store at {_where(engine)} upgraded from {before or 'no revision'} to {head}")


@db.command()
def current() -> None:
    """Print the store's schema revision and the current one."""
    from shot_platform.core import schema_migrations

    engine = _engine()
    try:
        revision = schema_migrations.current_revision(engine)
    except Exception as error:
        fail(f"cannot read the store at {_where(engine)}: {str(error).splitlines()[0]}")
    finally:
        engine.dispose()
    head = schema_migrations.head_revision()
    state = "current" if revision == head else "behind: run `shot-platform db upgrade`"
    click.echo(f"store revision {revision or 'none'}, code revision {head} ({state})")
