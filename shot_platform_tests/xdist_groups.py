"""A pytest plugin: ``--dist loadgroup`` keeps the tests of one ``xdist_group`` in one worker and spreads
every other test on its own (the groups first, biggest first: xdist's ``--loadscope-reorder``, its
default; then the single tests in collection order). A module that defines module-scoped fixtures (a
service process, a trained home, a replay server) becomes a group of its own, so they are built once;
the tests of every other module run wherever a worker is free, so a few slow tests of one file do not
all land on one worker. The mark is added here, not written in each module, so a new module with such
a fixture cannot be forgotten. Under xdist, the slow single tests are collected first, so the run does
not end with one worker on a long test and the other idle.

Needs pytest < 9.2 with pytest-xdist 3.8.0: pytest 9.2 keeps node ids in a new field and xdist's
loadgroup, which appends the group to the old one, then silently stops grouping
(pytest-dev/pytest-xdist#1386). ``core/test_xdist_groups.py`` fails if grouping stops working.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

SLOW_MARKS = ("slow", "real_data")
MODULE_SCOPED_FIXTURE = re.compile(r"""scope\s*=\s*["']module["']""")


@functools.cache
def defines_module_fixture(path: Path) -> bool:
    return bool(MODULE_SCOPED_FIXTURE.search(path.read_text()))


# tryfirst: xdist's worker turns the xdist_group marks into node ids in its own hook, registered after
# this one and so called before it otherwise.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if defines_module_fixture(item.path):
            item.add_marker(pytest.mark.xdist_group(str(item.path.relative_to(config.rootpath))))
    if hasattr(config, "workerinput"):  # an xdist worker: its collection order is the order work is handed out
        # stable: pytest-randomly's shuffle (done before this hook) stays within each half
        items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in SLOW_MARKS))
