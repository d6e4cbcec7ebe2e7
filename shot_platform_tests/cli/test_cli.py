"""The command table: every listed subcommand loads, is named as listed, and has working --help."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.cli.main import COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_helps(name: str):
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command) and command.name == name
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output or f"Usage: shot-platform {name}" in result.output


def test_unknown_command_is_refused_with_the_list():
    result = CliRunner().invoke(cli, ["train"])
    assert result.exit_code == 2 and "No such command 'train'" in result.output
    listing = CliRunner().invoke(cli, ["--help"]).output
    assert all(name in listing for name in COMMANDS)
