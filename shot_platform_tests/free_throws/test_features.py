"""Point-in-time free-throw features: what was known after each game, and nothing later."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shot_platform.free_throws.counts import build_counts
from shot_platform.free_throws.features.history import build_history, inputs_at
from shot_platform.free_throws.features.tables import load_counts, rebuild_features
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.inputs import snapshot_inputs
from shot_platform.free_throws.labels import beat_labels
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import write_free_throws


def test_inputs_after_any_game_equal_the_research_snapshots(synthetic_free_throws: pd.DataFrame):
    counts = build_counts(synthetic_free_throws)
    history = build_history(counts)
    assert sorted(history["season"].unique()) == [2011, 2012]
    for season in (2011, 2012):
        scheduled = int(counts.scheduled_games.loc[season])
        for k in sorted({0, 1, 7, scheduled // 2, scheduled - 1, scheduled}):
            ours = inputs_at(history, season, k)
            research = snapshot_inputs(counts, season, k).astype({"player": str})
            research = research.sort_values("player", ignore_index=True)
            pd.testing.assert_frame_equal(ours, research[ours.columns], check_dtype=False)
    with pytest.raises(ValueError, match="games_played must be within"):
        inputs_at(history, 2011, int(counts.scheduled_games.loc[2011]) + 1)


def test_changing_a_later_game_changes_no_earlier_feature_row(
    free_throw_store: FreeThrowStore, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    ingest_free_throw_file(free_throw_store, write_free_throws(synthetic_free_throws, tmp_path / "a.csv"))
    _, before = rebuild_features(free_throw_store)

    # Rewrite every result of the second half of 2011-12 (and of the next season, to be thorough).
    counts = build_counts(synthetic_free_throws)
    schedule = counts.schedule
    cut = int(counts.scheduled_games.loc[2011]) // 2
    later = set(schedule.loc[(schedule["season"] == 2011) & (schedule["game_number"] > cut), "game_id"])
    later |= set(schedule.loc[schedule["season"] == 2012, "game_id"])
    rewritten = synthetic_free_throws.copy()
    flip = rewritten["game_id"].isin(later)
    rewritten.loc[flip, "shot_made"] = 1 - rewritten.loc[flip, "shot_made"]
    rewritten.loc[flip, "play"] = (
        rewritten.loc[flip, "play"]
        .str.replace(" makes ", " XX ")
        .str.replace(" misses ", " makes ")
        .str.replace(" XX ", " misses ")
    )

    other = FreeThrowStore(f"sqlite:///{tmp_path / 'other.db'}")
    other.create_schema()
    report = ingest_free_throw_file(other, write_free_throws(rewritten, tmp_path / "b.csv"))
    assert report.quarantined == 0
    _, after = rebuild_features(other)
    other.dispose()

    key = ["season", "player", "games_played"]
    earlier = lambda frame: frame[(frame["season"] == 2011) & (frame["games_played"] <= cut)]  # noqa: E731
    pd.testing.assert_frame_equal(
        earlier(before).sort_values(key, ignore_index=True), earlier(after).sort_values(key, ignore_index=True)
    )
    # The rewrite did reach the later rows, so the comparison above had something to find.
    late = lambda frame: frame[(frame["season"] == 2011) & (frame["games_played"] > cut)]  # noqa: E731
    assert not np.array_equal(late(before)["made"].to_numpy(), late(after)["made"].to_numpy())


def test_stored_tables_round_trip_to_the_research_counts_and_labels(
    free_throw_store: FreeThrowStore, free_throw_file: Path, synthetic_free_throws: pd.DataFrame
):
    ingest_free_throw_file(free_throw_store, free_throw_file)
    counts, history = rebuild_features(free_throw_store)
    loaded = load_counts(free_throw_store)
    expected = build_counts(synthetic_free_throws)
    pd.testing.assert_frame_equal(loaded.player_games, expected.player_games, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.totals, expected.totals, check_dtype=False)
    pd.testing.assert_series_equal(loaded.scheduled_games, expected.scheduled_games, check_dtype=False)
    stored = free_throw_store.load(tables.free_throw_player_features)
    pd.testing.assert_frame_equal(
        stored.sort_values(["season", "player", "games_played"], ignore_index=True),
        history.sort_values(["season", "player", "games_played"], ignore_index=True),
        check_dtype=False,
    )
    # Labels: every player of the previous season, absent next season means 0 made (not beaten).
    labels = beat_labels(loaded.totals)
    preseason = history[history["games_played"] == 0]
    assert len(labels) == len(preseason)
    gone = labels[
        ~labels.set_index(["season", "player"]).index.isin(counts.totals.set_index(["season", "player"]).index)
    ]
    assert len(gone) > 0 and (gone["made"] == 0).all() and (gone["beat"] == 0).all()
    assert ((labels["made"] > labels["last_made"]) == (labels["beat"] == 1)).all()
