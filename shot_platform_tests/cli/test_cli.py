"""The command table: every shared and every domain command loads, is named as listed, and has working --help."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.cli.main import COMMANDS
from shot_platform.core.domain import domains

TOP = sorted(cli.list_commands(click.Context(cli)))
GROUPED = sorted((c.group, c.name) for d in domains() for c in d.commands if c.group)


@pytest.mark.parametrize("name", TOP)
def test_every_listed_command_loads_and_helps(name: str):
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command) and command.name == name
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output or f"Usage: shot-platform {name}" in result.output


@pytest.mark.parametrize(("group", "name"), GROUPED)
def test_every_domain_subcommand_of_a_shared_group_loads_and_helps(group: str, name: str):
    listing = CliRunner().invoke(cli, [group, "--help"])
    assert listing.exit_code == 0 and name in listing.output, listing.output
    result = CliRunner().invoke(cli, [group, name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"{group} {name}" in result.output


def test_the_root_lists_the_shared_commands_and_every_domain_top_level_command():
    top_level = {c.name for d in domains() for c in d.commands if c.group is None}
    assert set(COMMANDS) | top_level == set(TOP)
    assert {"db", "demo", "materialize", "models", "quarantine", "serve", "ingest", "generate", "sync"} == set(COMMANDS)
    assert {"predict", "predictions", "scores-api"} <= top_level  # the two domains' own


def test_unknown_command_is_refused_with_the_list():
    result = CliRunner().invoke(cli, ["train"])
    assert result.exit_code == 2 and "No such command 'train'" in result.output
    listing = CliRunner().invoke(cli, ["--help"]).output
    assert all(name in listing for name in TOP)


def test_help_imports_no_dagster_nor_model_library():
    code = (
        "import sys; from shot_platform.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('dagster', 'sklearn', 'tensorflow', 'bentoml') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _groups(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    yield path
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _groups(command, click.Context(command, parent=ctx), (*path, name))


@pytest.mark.parametrize("path", list(_groups(cli, click.Context(cli))), ids=lambda p: " ".join(p) or "root")
def test_every_command_listing_shows_whole_summaries(path: tuple[str, ...]):
    """click cuts a docstring's first sentence at "..." when it is long: each command gives a short one."""
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:", 1)[1]
    assert "..." not in listing, listing


@pytest.mark.slow
def test_a_group_selection_prints_no_dagster_warning(platform_home, capfd: pytest.CaptureFixture[str]):
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")  # as in a terminal, not pytest's filters
        result = CliRunner().invoke(cli, ["materialize", "--select", "group:free_throws"])
    assert result.exit_code == 0, result.output
    printed = result.output + "".join(capfd.readouterr()) + "\n".join(str(w.message) for w in seen)
    assert "BetaWarning" not in printed and "include_sources" not in printed, printed
