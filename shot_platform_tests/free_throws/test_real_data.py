"""The free-throw domain on the real file (../shared/data; skipped when absent)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shot_platform.core.sql_checks import violation_conditions
from shot_platform.free_throws.features.tables import rebuild_features
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.labels import beat_labels
from shot_platform.free_throws.rules import FREE_THROW_RULES
from shot_platform.free_throws.store import FreeThrowStore, tables

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def test_real_file_is_ingested_whole_with_the_documented_counts(real_free_throws_path: Path, tmp_path: Path):
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    report = ingest_free_throw_file(store, real_free_throws_path)
    assert (report.inserted, report.duplicates, report.quarantined) == (496_533, 0, 0)
    summary = store.summary()
    assert (summary["games"], summary["players"], summary["first_season"], summary["last_season"]) == (
        10_252,
        952,
        2006,
        2013,
    )
    with store.engine.connect() as conn:
        for rule, condition in violation_conditions(FREE_THROW_RULES, tables.free_throws, "sqlite").items():
            assert conn.execute(select(func.count()).where(condition)).scalar_one() == 0, rule

    counts, history = rebuild_features(store)
    # 1,217 to 1,230 games with a free throw a season; 990 in the 66-game 2011-12; All-Star games out.
    assert counts.scheduled_games.loc[2011] == 990
    assert counts.scheduled_games.drop(2011).between(1217, 1230).all()
    assert int(counts.player_games["attempted"].sum()) == 462_507 - 217
    assert len(history) == 92_573
    labels = beat_labels(counts.totals)
    assert len(labels) == len(history[history["games_played"] == 0])
    # Beat rates quoted by the research: 22.9% into the short 2011-12, 46.5% in 2012-13.
    rates = labels.groupby("season")["beat"].mean()
    assert rates.loc[2011] == pytest.approx(0.229, abs=0.001) and rates.loc[2012] == pytest.approx(0.465, abs=0.001)
    store.dispose()


def test_comparison_on_the_reference_split_meets_the_target(real_free_throws_path: Path):
    """`python -m shot_platform.free_throws.comparison` on the real file: trained on 2007-08..2011-12,
    judged on 2012-13 + 2013-14 beside the base rate and both baselines. ``--epochs 8`` is the count
    its selection run chooses on 2011-12 (run it without the flag to see that run; it adds ~30 s)."""
    command = ["-m", "shot_platform.free_throws.comparison", "--data", str(real_free_throws_path)]
    result = subprocess.run(
        [sys.executable, *command, "--epochs", "8", "--no-repeat"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    table = result.stdout.split("Test seasons 2012-13..2013-14")[1]
    # Columns: AUC, log loss, LL@0%, LL@25%, LL@50%, LL@75%.
    lines = (re.fullmatch(r"(.+?)((?:\s+[\d.]+){6})", line.strip()) for line in table.splitlines()[2:6])
    rows = {match.group(1): [float(value) for value in match.group(2).split()] for match in lines if match}
    assert list(rows) == ["base rate (0.334)", "logistic regression", "HistGradientBoosting", "MLP (score_beater)"]
    mlp, base = rows["MLP (score_beater)"], rows["base rate (0.334)"]
    assert mlp[1] <= 0.385 and mlp[2] < base[2] and mlp[0] > 0.89
    # It beats both baselines on the pooled metric.
    assert all(mlp[1] < rows[name][1] for name in ("logistic regression", "HistGradientBoosting"))
    assert "target (pooled log loss <= 0.385 and preseason below the base rate): met" in result.stdout
    assert "fresh-process reload -> OK" in result.stdout
