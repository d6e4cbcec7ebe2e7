"""``shot-platform darts``: the darts domain's command."""

from __future__ import annotations

import click

from shot_platform.core.settings import Settings
from shot_platform_tests.third_domain.model import open_dart_models


@click.command("darts")
def darts() -> None:
    """Say how many darts models are stored."""
    click.echo(f"darts models: {len(open_dart_models(Settings.from_env()).versions())}")
