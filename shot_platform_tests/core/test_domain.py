"""The domain registry: a domain's name is its entry point's, its relative references are made absolute."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shot_platform.core import domain as registry
from shot_platform.core.domain import Command, Domain, DomainError, ModelRef
from shot_platform.shots.settings import ShotSettings


def test_registered_names_the_domain_and_makes_relative_references_absolute():
    declared = Domain(
        commands=(Command("darts", ".command:darts", "help"), Command("x", "other.module:x", "help")),
        service_unit=".unit:Unit",
        models=(ModelRef("dart_model", ".model:open", describe=".model:describe"), ModelRef("m", "a.b:c")),
        settings="elsewhere.settings:Settings",
    )
    found = declared.registered("darts", "pkg.darts")
    assert found.name == "darts" and found.definitions == "pkg.darts.definitions:defs"
    assert [c.target for c in found.commands] == ["pkg.darts.command:darts", "other.module:x"]
    assert found.service_unit == "pkg.darts.unit:Unit"
    assert [(m.open, m.describe) for m in found.models] == [
        ("pkg.darts.model:open", "pkg.darts.model:describe"),
        ("a.b:c", None),
    ]
    assert found.settings == "elsewhere.settings:Settings" and found.has_data is None and found.demo is None


def test_the_registered_domains_load_their_relative_references():
    shots = registry.domain("shots")
    assert shots.name == "shots" and shots.load("settings") is ShotSettings
    assert registry.models()["shot_model"][1].open == "shot_platform.shots.models.registry:open_shot_models"


@pytest.fixture
def badly_named(tmp_path: Path) -> Iterator[None]:
    """An entry point whose name is not a Python identifier (the domain cache cleared around it)."""
    info = tmp_path / "shot_platform_bad-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shot-platform-bad\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[shot_platform.domains]\nbad-darts = shot_platform_tests.third_domain.domain:DOMAIN\n"
    )
    sys.path.insert(0, str(tmp_path))
    registry.domains.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        registry.domains.cache_clear()


def test_an_entry_point_name_that_is_not_an_identifier_is_refused(badly_named: None):
    with pytest.raises(DomainError, match=r"'bad-darts'.*a domain's name is a Python identifier"):
        registry.domains()
