"""On the real October-January shot logs (skipped, with the reason, when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shot_platform.shots.features.player import build_player_history
from shot_platform.shots.ingest.shots import ingest_shot_file
from shot_platform.shots.models.training import train_shot_model
from shot_platform.shots.store import ShotStore

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_store(real_shots_path: Path, tmp_path_factory: pytest.TempPathFactory):
    store = ShotStore(f"sqlite:///{tmp_path_factory.mktemp('real') / 'store.db'}")
    store.create_schema()
    report = ingest_shot_file(store, real_shots_path)
    return store, report


def test_real_file_ingests_whole_with_the_documented_quirks_cleaned(real_store):
    store, report = real_store
    # Figures from ../shared/data/README.md.
    assert (report.rows_read, report.inserted, report.quarantined) == (101_997, 101_997, 0)
    assert report.cleaned["shot_clock_off"] + report.cleaned["shot_clock_missing"] == 4_626
    assert report.cleaned["touch_time_negative"] == 258
    assert report.cleaned["three_inside_line"] == 692
    assert report.cleaned["two_beyond_arc"] == 431
    summary = store.shot_summary()
    assert (summary["games"], summary["first_date"], summary["last_date"]) == (710, "2014-10-28", "2015-01-31")


def test_real_data_model_quality_on_later_games(real_store):
    """Regression guard at the level reached (docs/shots.md, Model quality); the issue's bar is 0.655 / 0.640."""
    store, _ = real_store
    shots = store.load_shots()
    result = train_shot_model(shots, build_player_history(shots))
    metrics = result.model.metadata["metrics"]
    print(f"real data, test games {result.model.metadata['test_dates']}: {metrics}")
    assert result.model.metadata["test_dates"][0] > result.model.metadata["train_dates"][1]
    assert metrics["auc"] >= 0.640
    assert metrics["log_loss"] <= 0.6475
    assert metrics["log_loss"] < metrics["base_rate_log_loss"] - 0.035
