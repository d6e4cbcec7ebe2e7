"""`shot-platform demo` (the first half of `make run`) on a fresh home with no data given."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.shots.models.registry import shot_models_at

pytestmark = pytest.mark.slow  # generates, ingests and materialises both domains, twice


def test_demo_generates_ingests_materialises_and_summarises(platform_home: Path):
    small = ["--games", "40", "--free-throw-seasons", "2", "--games-per-season", "90"]
    result = CliRunner().invoke(cli, ["demo", *small])
    assert result.exit_code == 0, result.output
    assert (platform_home / "data" / "synthetic_shot_logs_40_games.csv.gz").exists()
    assert (platform_home / "data" / "synthetic_free_throws_2_seasons_90_games.csv.gz").exists()
    # Both domains: the free-throw group is ingested and materialised too.
    assert "check raw_free_throws_rules: passed" in result.output and "check labels_complete: passed" in result.output
    assert "  free_throw_player_features: feature_rows=" in result.output
    assert "inserted" in result.output and "check raw_shots_schema_and_ranges: passed" in result.output
    assert "check beats_base_rate: passed" in result.output
    assert "http://127.0.0.1:3000" in result.output
    champion = shot_models_at(platform_home / "models").champion_version()
    assert champion and f"version={champion}" in result.output
    # The Dagster instance under the home keeps the run, so `dagster dev` shows it.
    assert (platform_home / "dagster" / "dagster.yaml").exists()
    assert any((platform_home / "dagster").rglob("*.db"))

    again = CliRunner().invoke(cli, ["demo", *small])
    assert again.exit_code == 0, again.output
    assert "0 inserted" in again.output
