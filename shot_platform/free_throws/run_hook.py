"""What a run of the flow's assets hands back to the process that executes it in-process.

``shot-platform sync free-throws`` runs the code location's jobs in its own process (the in-process
executor: same thread). Through ``IN_PROCESS`` it sees each run's progress lines as they come (the
terminal's progress output), the sync's report and the exception that failed a step as raised
(the command's one-line messages name it). Under the daemon nothing is set and the runs only log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from dagster import Failure


@dataclass
class RunObserver:
    echo: Callable[[str], None]
    reports: list[Any] = field(default_factory=list)  # the sync engine's reports, one per games step
    error: BaseException | None = None  # what failed the last step, as raised


IN_PROCESS: ContextVar[RunObserver | None] = ContextVar("free_throw_run_observer", default=None)


def progress(log: Callable[[str], None]) -> Callable[[str], None]:
    """``log`` (the run's log), and the terminal's echo when the sync command runs this step."""
    observer = IN_PROCESS.get()
    if observer is None:
        return log

    def both(message: str) -> None:
        log(message)
        observer.echo(message)

    return both


def observe_report(report: Any) -> None:
    observer = IN_PROCESS.get()
    if observer is not None:
        observer.reports.append(report)


def observe_error(error: BaseException) -> None:
    observer = IN_PROCESS.get()
    if observer is not None:
        observer.error = error


@contextmanager
def observed_errors() -> Iterator[None]:
    """Hand the exception that fails a step to the in-process caller, as raised; a ``Failure`` was
    observed where it was raised (its message is already the one-line one)."""
    try:
        yield
    except Failure:
        raise
    except Exception as error:  # e.g. the store unreachable: the sync command names it as raised
        observe_error(error)
        raise
