"""score_beater's TensorFlow-free building blocks on tiny hand-made seasons: counts, labels,
point-in-time inputs, input rules, rescaled copies, the metric (from the research package)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from shot_platform.free_throws.counts import build_counts
from shot_platform.free_throws.evaluation import score_report
from shot_platform.free_throws.inputs import INPUT_NAMES, input_errors, season_snapshots, snapshot_inputs
from shot_platform.free_throws.labels import BEAT, beat_labels, rescale_last_season, training_rows
from shot_platform.free_throws.schema import season_label, season_start_year


def _events() -> pd.DataFrame:
    """Three tiny seasons: A and B in 2010-11, A, B, C in 2011-12, A and C in 2012-13; one All-Star game."""
    rows = []

    def attempt(season: int, game_id: int, player: str, made: int, playoffs: str = "regular", game: str = "AAA - BBB"):
        rows.append(
            {
                "end_result": "100 - 90",
                "game": game,
                "game_id": game_id,
                "period": 1,
                "play": f"{player} {'makes' if made else 'misses'} free throw 1 of 2",
                "player": player,
                "playoffs": playoffs,
                "score": "1 - 0",
                "season": season_label(season),
                "shot_made": made,
                "time": "11:00",
            }
        )

    for game in range(3):  # 2010: A makes 2 a game, B 1 a game
        attempt(2010, 1000 + game, "A", 1)
        attempt(2010, 1000 + game, "A", 1)
        attempt(2010, 1000 + game, "B", 1)
        attempt(2010, 1000 + game, "B", 0)
    attempt(2010, 1500, "A", 1, game="EAST - WEST")  # All-Star: not counted
    for game in range(4):  # 2011
        attempt(2011, 2000 + game, "A", 1)
        attempt(2011, 2000 + game, "C", int(game % 2 == 0))
        if game < 2:
            attempt(2011, 2000 + game, "B", 1)
    attempt(2011, 2900, "A", 1, playoffs="playoffs")  # playoffs: not counted
    for game in range(4):  # 2012
        attempt(2012, 3000 + game, "A", 1)
        attempt(2012, 3000 + game, "A", 1)
        attempt(2012, 3000 + game, "C", 0)
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # any row order


def test_season_strings() -> None:
    assert season_start_year("2012 - 2013") == 2012
    assert season_label(2012) == "2012 - 2013"
    with pytest.raises(ValueError):
        season_start_year("2012 - 2014")


def test_counts_exclude_playoffs_and_all_star() -> None:
    counts = build_counts(_events())
    assert counts.scheduled_games.to_dict() == {2010: 3, 2011: 4, 2012: 4}
    totals = counts.totals.set_index(["season", "player"])
    assert totals.loc[(2010, "A")].tolist() == [6, 6, 3]
    assert totals.loc[(2011, "A")].tolist() == [4, 4, 4]


def test_labels_strict_and_absent_players_lose() -> None:
    labels = beat_labels(build_counts(_events()).totals).set_index(["season", "player"])
    assert labels.loc[(2011, "A"), BEAT] == 0  # 4 after 6
    assert labels.loc[(2011, "B"), BEAT] == 0  # 2 after 3
    assert labels.loc[(2012, "A"), BEAT] == 1  # 8 after 4
    assert labels.loc[(2012, "B"), BEAT] == 0  # absent
    assert labels.loc[(2012, "C"), BEAT] == 0  # 0 after 2
    assert 2010 not in labels.index.get_level_values("season")


def test_snapshot_counts_only_first_k_games() -> None:
    events = _events()
    counts = build_counts(events)
    snapshot = snapshot_inputs(counts, 2012, [0, 2, 4]).set_index(["games_played", "player"])
    assert snapshot.loc[(0, "A"), ["made", "attempted", "games"]].tolist() == [0, 0, 0]
    assert snapshot.loc[(2, "A"), ["made", "attempted", "games", "season_share"]].tolist() == [4, 4, 2, 0.5]
    assert snapshot.loc[(4, "A"), ["last_made", "before_last_made", "before_last_scheduled_games"]].tolist() == [
        4,
        6,
        3,
    ]
    # Rewriting the outcomes of later games changes nothing before them.
    later = events["game_id"] >= 3002
    rewritten = events.assign(shot_made=np.where(later, 1 - events["shot_made"], events["shot_made"]))
    again = snapshot_inputs(build_counts(rewritten), 2012, [0, 2])
    pd.testing.assert_frame_equal(snapshot_inputs(counts, 2012, [0, 2]), again)


def test_unknown_season_before_last_is_flagged_not_zero_players() -> None:
    snapshot = snapshot_inputs(build_counts(_events()), 2011, [0])
    assert (snapshot["before_last_scheduled_games"] == 0).all()
    assert all(not input_errors(row) for row in snapshot[list(INPUT_NAMES)].to_dict("records"))


def test_input_rules() -> None:
    valid = dict.fromkeys(INPUT_NAMES, 0.0) | {"last_scheduled_games": 1230.0, "scheduled_games": 1230.0}
    assert input_errors(valid) == []
    assert input_errors(valid | {"made": 3.0, "attempted": 2.0, "games": 1.0})  # made > attempted
    assert input_errors(valid | {"attempted": 60.0, "made": 1.0, "games": 1.0})  # 60 attempts in one game
    assert input_errors(valid | {"season_share": 1.5})
    assert input_errors(valid | {"made": 2.5, "attempted": 3.0, "games": 1.0})  # not whole
    assert input_errors(valid | {"last_made": float("nan")})
    assert input_errors({k: v for k, v in valid.items() if k != "games"})


def test_rescaled_copy_keeps_rates_and_recomputes_labels() -> None:
    counts = build_counts(_events())
    labels = beat_labels(counts.totals)
    rows = training_rows(counts, labels, [2012], every=1, rescaled_copies=0)
    scaled = rescale_last_season(rows, labels, low=0.5, high=0.5)
    assert np.allclose(scaled["last_scheduled_games"], rows["last_scheduled_games"] * 0.5)
    final = labels.set_index(["season", "player"])["made"]
    expected = final.loc[list(zip(scaled["season"], scaled["player"], strict=True))].to_numpy() > scaled["last_made"]
    assert (scaled[BEAT].to_numpy() == expected.astype(int)).all()


def test_evaluation_pools_fractions() -> None:
    label = np.array([0, 1, 0, 1])
    report = score_report(label, np.array([0.2, 0.8, 0.4, 0.6]), np.array([0.0, 0.0, 0.25, 0.25]), 0.5)
    assert report["rows"] == 4
    assert report["auc"] == 1.0
    assert report["log_loss@0"] < report["log_loss@0.25"] < report["base_log_loss"]


def test_training_orchestration_imports_no_tensorflow() -> None:
    """Only the model (and the child process that trains it) pays for TensorFlow."""
    modules = ("inputs", "labels", "evaluation", "baselines", "training", "flow.retrain", "comparison")
    code = (
        "import sys\n"
        + "".join(f"import shot_platform.free_throws.{m}\n" for m in modules[:-1])
        + "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.split() == ["False", "False"]


def test_season_snapshots_at_fractions() -> None:
    snapshots = season_snapshots(build_counts(_events()), [2012], fractions=[0.0, 0.5])
    assert snapshots.groupby("fraction")["games_played"].first().to_dict() == {0.0: 0, 0.5: 2}
