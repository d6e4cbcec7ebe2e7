"""Shared code names no domain: the domains are found through their registration only.

Shared: ``core/``, the CLI's modules, the service and the code location. A domain's name is any
spelling of one (``shot_model``, ``ShotStore``, ``/shots``, ``free-throws``, ``score_beater``...);
the platform's own name (``shot_platform``, ``shot-platform``, ``SHOT_PLATFORM_...``) is not one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shot_platform"
SHARED = sorted(
    [
        *(PACKAGE / "core").rglob("*.py"),
        *(PACKAGE / "cli").rglob("*.py"),
        PACKAGE / "service.py",
        PACKAGE / "definitions.py",
    ]
)
DOMAIN_NAME = re.compile(r"shot(?![_-]platform)|free[\s_-]?throw|score[\s_-]?beater", re.IGNORECASE)


def test_the_shared_files_exist():
    assert all(path.exists() for path in SHARED) and len(SHARED) > 10


@pytest.mark.parametrize("path", SHARED, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_shared_file_names_no_domain(path: Path):
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DOMAIN_NAME.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_pattern_tells_a_domain_from_the_platform():
    named = ["shot_model", "ShotStore", "POST /shots", "shot-logs", "free-throws", "FreeThrowStore", "score_beater"]
    assert all(DOMAIN_NAME.search(text) for text in named)
    platform = ["shot_platform.core", "shot-platform serve", "SHOT_PLATFORM_HOME", "shot_platform_tests"]
    assert not any(DOMAIN_NAME.search(text) for text in platform)
