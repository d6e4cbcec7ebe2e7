"""The feature code's point-in-time rule, the prior for unknown players, and the leakage rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shot_platform.shots.features.frame import FEATURE_COLUMNS, build_features
from shot_platform.shots.features.player import build_player_history, latest_profiles
from shot_platform.shots.features.player import player_features as player_feature_columns
from shot_platform.shots.schema import OUTCOME_COLUMNS
from shot_platform_tests.helpers import cleaned


def player_features(shots: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(player_feature_columns(shots, history))


@pytest.fixture(scope="module")
def shots(synthetic_shots: pd.DataFrame) -> pd.DataFrame:
    return cleaned(synthetic_shots)


def test_features_for_a_date_use_only_earlier_games(shots: pd.DataFrame):
    dates = np.sort(shots["game_date"].unique())
    day = dates[len(dates) // 2]
    on_day = shots[shots["game_date"] == day]

    full_history = build_player_history(shots)
    earlier_only = build_player_history(shots[shots["game_date"] < day])
    pd.testing.assert_frame_equal(player_features(on_day, full_history), player_features(on_day, earlier_only))

    # Rewriting the outcomes of game d and later changes nothing for game d...
    flipped = shots.copy()
    later = flipped["game_date"] >= day
    flipped.loc[later, "FGM"] = 1 - flipped.loc[later, "FGM"]
    pd.testing.assert_frame_equal(
        player_features(on_day, full_history), player_features(on_day, build_player_history(flipped))
    )
    # ...while rewriting an earlier game does change them (the check above is not vacuous).
    earlier = flipped["game_date"] == dates[len(dates) // 2 - 1]
    flipped.loc[earlier, "FGM"] = 1 - flipped.loc[earlier, "FGM"]
    assert not player_features(on_day, full_history).equals(player_features(on_day, build_player_history(flipped)))


def test_first_game_date_and_unknown_players_get_the_prior(shots: pd.DataFrame):
    history = build_player_history(shots)
    first_day = shots[shots["game_date"] == shots["game_date"].min()]
    features = player_features(first_day, history)
    assert (features["shooter_log_attempts"] == 0).all()
    assert (features["shooter_zone_fg"] == features["league_zone_fg"]).all()

    stranger = shots.iloc[[0]].assign(player_id=999_999_999, CLOSEST_DEFENDER_PLAYER_ID=888_888_888)
    stranger["game_date"] = pd.Timestamp("2030-01-01")
    row = player_features(stranger, history).iloc[0]
    assert row["shooter_log_attempts"] == row["defender_log_attempts"] == 0
    assert row["shooter_zone_fg"] == row["defender_zone_fg"] == row["league_zone_fg"]
    assert 0.2 < row["league_zone_fg"] < 0.8


def test_profiles_are_the_latest_record_and_score_future_shots(shots: pd.DataFrame):
    history = build_player_history(shots)
    profiles = latest_profiles(history)
    assert not profiles.duplicated(["role", "player_id"]).any()
    future = shots.tail(50).assign(game_date=pd.Timestamp("2030-01-01"))
    pd.testing.assert_frame_equal(player_features(future, history), player_features(future, profiles))


def test_shrinkage_pulls_small_samples_toward_the_league(shots: pd.DataFrame):
    history = build_player_history(shots)
    league = history.query("role == 'league'").set_index("through_date")["rate_three"]
    shooters = latest_profiles(history).query("role == 'shooter'")
    target = shooters["through_date"].map(league)  # the league rate through the same date
    raw_rate = shooters["made_three"] / shooters["att_three"].where(shooters["att_three"] > 0)
    few = shooters[(shooters["att_three"] > 0) & (shooters["att_three"] < 15)].index
    assert len(few) > 0
    gap_raw = (raw_rate[few] - target[few]).abs()
    gap_shrunk = (shooters.loc[few, "rate_three"] - target[few]).abs()
    assert (gap_shrunk <= gap_raw + 1e-12).all() and (gap_shrunk < gap_raw).any()


def test_build_features_never_reads_outcomes(shots: pd.DataFrame):
    history = build_player_history(shots)
    sample = shots.sample(300, random_state=1)
    reference = build_features(sample, history)
    assert list(reference.columns) == list(FEATURE_COLUMNS)
    assert not OUTCOME_COLUMNS & set(reference.columns)
    scrambled = sample.assign(FGM=1 - sample["FGM"], SHOT_RESULT="made", PTS=99, W="W", FINAL_MARGIN=50)
    pd.testing.assert_frame_equal(reference, build_features(scrambled, history))
    pd.testing.assert_frame_equal(reference, build_features(sample.drop(columns=list(OUTCOME_COLUMNS)), history))
    assert reference.notna().all().all()
