"""Every CLI command, in an empty and in partial homes: it succeeds or says one `error: ...` line, never a
traceback. The commands are read from the click tree, so a new command is covered without being listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

# Commands that start a server and do not return (each has its own process tests), or run the whole
# demo (test_demo.py).
LONG_RUNNING = {("serve",), ("demo",)}
# Paths that are given to commands: a file that does not exist, and one that is not data.
MISSING, NOT_DATA = "missing.csv", "not_data.csv"


# Empty or partial homes on which `materialize` still ends in Dagster's step traceback; the command
# (cli/materialize.py) should refuse upfront naming `ingest`: the asset itself now fails with that message.
def leaves(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from leaves(command, click.Context(command, parent=ctx), path)
        elif path not in LONG_RUNNING:
            yield path


COMMANDS = sorted(leaves(cli, click.Context(cli)))
# Smaller outputs for the commands that write generated data: the home state does not change them.
QUICK = {
    ("generate", "free-throws"): ["--seasons", "1", "--games-per-season", "30"],
    ("generate", "shots"): ["--games", "2"],
}


def arguments(command: click.Command, folder: Path, path_value: str) -> list[str]:
    """Each required parameter with a value of its type: paths under ``folder`` (outputs are new files)."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        if isinstance(param.type, click.Path):
            is_output = isinstance(param, click.Option) and "--output" in param.opts
            value = str(folder / ("out.csv" if is_output else path_value))
        elif isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
            value = "1"
        else:
            value = "1"
        if isinstance(param, click.Option):
            args += [param.opts[0], value]
        else:
            args += [value] * (1 if param.nargs in (1, -1) else param.nargs)
    return args


def command_of(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli)
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(ctx, name)
        ctx = click.Context(command, parent=ctx)
    return command


@pytest.fixture(scope="module")
def free_throw_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate_free_throws(seasons=1, regular_games=40, seed=5)
    return write_free_throws(frame, tmp_path_factory.mktemp("ft") / "free_throws.csv.gz")


def takes_a_path(command: click.Command) -> bool:
    return any(
        p.required and isinstance(p.type, click.Path) and "--output" not in getattr(p, "opts", ())
        for p in command.params
    )


def cases() -> Iterator[tuple[tuple[str, ...], str]]:
    """Each command with each kind of input path, or once when it takes no input path."""
    for path in COMMANDS:
        for value in (MISSING, NOT_DATA) if takes_a_path(command_of(path)) else (MISSING,):
            yield path, value


def make_home(state: str, home: Path, shots: Path, free_throws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """empty: nothing at all; shots / free_throws: that domain's data ingested, nothing trained;
    unusable_store: a database URL that cannot be opened."""
    if state == "unusable_store":
        monkeypatch.setenv(
            "SHOT_PLATFORM_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:9/nothing_listens_here"
        )
        return
    ingest = {"shots": ["ingest", "shots", str(shots)], "free_throws": ["ingest", "free-throws", str(free_throws)]}
    if state in ingest:
        result = CliRunner().invoke(cli, ingest[state])
        assert result.exit_code == 0, result.output


STACK_FRAME = re.compile(r'(Traceback|File ".+", line \d+)')


def assert_no_traceback(result: click.testing.Result, args: list[str]) -> None:
    shown = f"shot-platform {' '.join(args)}\n{result.output}"
    assert result.exit_code in (0, 1, 2), shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (shown, result.exception)
    assert not STACK_FRAME.search(result.output), shown
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    if result.exit_code == 1:
        assert len(errors) == 1, shown
    if result.exit_code == 2:  # click's usage error: says which option and how
        assert "Usage:" in result.output or "Error:" in result.output, shown


@pytest.mark.slow
@pytest.mark.parametrize("state", ["empty", "shots", "free_throws", "unusable_store"])
@pytest.mark.parametrize(
    ("path", "path_value"), list(cases()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_no_command_prints_a_traceback_on_an_empty_or_partial_home(
    path: tuple[str, ...],
    path_value: str,
    state: str,
    platform_home: Path,
    tmp_path: Path,
    synthetic_file: Path,
    free_throw_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    if path == ("materialize",) and state == "shots":
        pytest.skip("trains the shot model: covered by the materialise tests")
    monkeypatch.delenv("SHOT_PLATFORM_SCORES_API_URL", raising=False)
    (tmp_path / NOT_DATA).write_text("this is,not a data file\n1,2\n")
    make_home(state, platform_home, synthetic_file, free_throw_file, monkeypatch)
    args = [*path, *arguments(command_of(path), tmp_path, path_value), *QUICK.get(path, [])]
    assert_no_traceback(CliRunner().invoke(cli, args), args)
    logged = capfd.readouterr()  # what libraries (Dagster's run log) wrote to the process's own streams
    assert not STACK_FRAME.search(logged.out + logged.err), logged.err[-3000:]


def test_the_generated_arguments_reach_every_command_s_own_checks(tmp_path: Path) -> None:
    """The generated arguments satisfy click (no usage error), so the test above runs each command's code."""
    for path in COMMANDS:
        command = command_of(path)
        args = arguments(command, tmp_path, MISSING)
        ctx = command.make_context(" ".join(path), list(args), resilient_parsing=False)
        assert ctx.command is command
    assert {("models", "list"), ("ingest", "shots"), ("predictions", "score-beater")} <= set(COMMANDS)
