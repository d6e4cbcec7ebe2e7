"""Tests for the synthetic shot-log generator.

They pin the Kaggle schema and the internal consistency other modules rely on, and
check that the data carries learnable structure (a model trained on it must be able
to beat chance on later dates), so a broken generator cannot pass silently.
"""

from __future__ import annotations

import datetime
import gzip
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from shot_platform.shots.synthetic import generate_shots, write_shots

KAGGLE_COLUMNS = [
    "GAME_ID",
    "MATCHUP",
    "LOCATION",
    "W",
    "FINAL_MARGIN",
    "SHOT_NUMBER",
    "PERIOD",
    "GAME_CLOCK",
    "SHOT_CLOCK",
    "DRIBBLES",
    "TOUCH_TIME",
    "SHOT_DIST",
    "PTS_TYPE",
    "SHOT_RESULT",
    "CLOSEST_DEFENDER",
    "CLOSEST_DEFENDER_PLAYER_ID",
    "CLOSE_DEF_DIST",
    "FGM",
    "PTS",
    "player_name",
    "player_id",
]
INT_COLUMNS = [
    "GAME_ID",
    "FINAL_MARGIN",
    "SHOT_NUMBER",
    "PERIOD",
    "DRIBBLES",
    "PTS_TYPE",
    "CLOSEST_DEFENDER_PLAYER_ID",
    "FGM",
    "PTS",
    "player_id",
]
FLOAT_COLUMNS = ["SHOT_CLOCK", "TOUCH_TIME", "SHOT_DIST", "CLOSE_DEF_DIST"]
MATCHUP_RE = re.compile(
    r"^(?P<date>[A-Z]{3} \d{2}, \d{4}) - (?P<team>[A-Z]{3}) (?P<sep>@|vs\.) "
    r"(?P<opp>[A-Z]{3})$"
)
GAMES = 300


@pytest.fixture(scope="module")
def shots() -> pd.DataFrame:
    """One mid-sized sample shared by the read-only tests (about 44k shots)."""
    return generate_shots(GAMES, seed=7)


@pytest.fixture(scope="module")
def parsed(shots: pd.DataFrame) -> pd.DataFrame:
    """MATCHUP split into date, shooter's team, separator and opponent."""
    parts = shots["MATCHUP"].str.extract(MATCHUP_RE)
    assert parts.notna().all().all(), "every MATCHUP must match the Kaggle format"
    parts["date"] = pd.to_datetime(parts["date"], format="%b %d, %Y")
    return parts


def _make_rate(shots: pd.DataFrame, mask: pd.Series) -> float:
    assert mask.sum() > 200, "bucket too small to compare rates"
    return float(shots.loc[mask, "FGM"].mean())


def test_columns_are_the_kaggle_columns_in_order(shots: pd.DataFrame) -> None:
    assert list(shots.columns) == KAGGLE_COLUMNS


def test_dtypes_match_the_real_file(shots: pd.DataFrame) -> None:
    for column in INT_COLUMNS:
        assert pd.api.types.is_integer_dtype(shots[column]), column
    for column in FLOAT_COLUMNS:
        assert pd.api.types.is_float_dtype(shots[column]), column
        values = shots[column].dropna().to_numpy()
        assert np.allclose(values, np.round(values, 1)), f"{column}: one decimal"


def test_requested_number_of_games_from_start_date(shots: pd.DataFrame) -> None:
    start = datetime.date(2014, 11, 3)
    small = generate_shots(12, seed=1, start_date=start)
    assert small["GAME_ID"].nunique() == 12
    assert small["MATCHUP"].str.startswith("NOV 03, 2014 - ").any()
    assert shots["GAME_ID"].nunique() == GAMES
    assert shots["MATCHUP"].str.startswith("OCT 28, 2014 - ").any()


def test_key_is_unique_and_shot_numbers_count_up_in_time(shots: pd.DataFrame) -> None:
    key = ["GAME_ID", "player_id", "SHOT_NUMBER"]
    assert not shots.duplicated(key).any()
    clock = shots["GAME_CLOCK"].str.split(":", expand=True).astype(int)
    remaining = clock[0] * 60 + clock[1]
    period_length = np.where(shots["PERIOD"] <= 4, 720, 300)
    elapsed = (
        np.minimum(shots["PERIOD"] - 1, 4) * 720 + np.maximum(shots["PERIOD"] - 5, 0) * 300 + period_length - remaining
    )
    ordered = shots.assign(elapsed=elapsed).sort_values(key)
    groups = ordered.groupby(["GAME_ID", "player_id"])
    assert (groups["SHOT_NUMBER"].min() == 1).all()
    assert (groups["SHOT_NUMBER"].max() == groups.size()).all()
    assert (groups["elapsed"].diff().dropna() >= 0).all(), "numbered in time order"


def test_matchup_and_location_agree(shots: pd.DataFrame, parsed: pd.DataFrame) -> None:
    is_home = parsed["sep"] == "vs."
    assert ((shots["LOCATION"] == "H") == is_home).all()
    assert set(shots["LOCATION"]) == {"H", "A"}
    per_game = parsed.assign(GAME_ID=shots["GAME_ID"], home=is_home).groupby("GAME_ID")
    assert (per_game["date"].nunique() == 1).all()
    assert (per_game["team"].nunique() == 2).all(), "both teams shoot in every game"
    home_team = parsed["team"].where(is_home, parsed["opp"])
    assert (home_team.groupby(shots["GAME_ID"]).nunique() == 1).all()
    assert (parsed["team"] != parsed["opp"]).all()


def test_game_ids_increase_with_date(parsed: pd.DataFrame, shots: pd.DataFrame) -> None:
    first_date = parsed["date"].groupby(shots["GAME_ID"]).first().sort_index()
    assert first_date.is_monotonic_increasing
    games_per_date = first_date.groupby(first_date).size()
    assert 5.0 <= games_per_date.mean() <= 10.0, "about 7-8 games a day league-wide"


def test_win_and_margin_are_consistent_within_a_game(shots: pd.DataFrame) -> None:
    sides = shots.groupby(["GAME_ID", "LOCATION"]).agg(w=("W", "unique"), margin=("FINAL_MARGIN", "unique"))
    assert (sides["w"].map(len) == 1).all() and (sides["margin"].map(len) == 1).all()
    sides = sides.apply(lambda col: col.str[0]).unstack("LOCATION")
    assert (sides["margin"]["H"] == -sides["margin"]["A"]).all()
    assert (sides["margin"]["H"] != 0).all()
    assert ((sides["w"]["H"] == "W") == (sides["margin"]["H"] > 0)).all()
    assert ((sides["w"]["A"] == "W") == (sides["margin"]["A"] > 0)).all()


def test_closest_defender_plays_for_the_other_team(shots: pd.DataFrame, parsed: pd.DataFrame) -> None:
    team_of = parsed.assign(pid=shots["player_id"]).groupby("pid")["team"].unique()
    assert (team_of.map(len) == 1).all(), "a player never changes team"
    team_of = team_of.str[0]
    known = shots["CLOSEST_DEFENDER_PLAYER_ID"].isin(team_of.index)
    defender_team = shots.loc[known, "CLOSEST_DEFENDER_PLAYER_ID"].map(team_of)
    assert known.mean() > 0.9
    assert (defender_team == parsed.loc[known, "opp"]).all()
    names = shots.groupby("CLOSEST_DEFENDER_PLAYER_ID")["CLOSEST_DEFENDER"].nunique()
    assert (names == 1).all()


def test_name_formats(shots: pd.DataFrame) -> None:
    assert shots["player_name"].str.fullmatch(r"[a-z]+ [a-z]+").all()
    assert shots["CLOSEST_DEFENDER"].str.fullmatch(r"[A-Z][a-z]+, [A-Z][a-z]+").all()
    # The same person appears under both spellings with the same id.
    shooter_names = shots.groupby("player_id")["player_name"].first()
    defender = shots.drop_duplicates("CLOSEST_DEFENDER_PLAYER_ID")
    last_first = defender["CLOSEST_DEFENDER"].str.split(", ")
    as_shooter = (last_first.str[1] + " " + last_first.str[0]).str.lower()
    ids = defender["CLOSEST_DEFENDER_PLAYER_ID"]
    both = ids.isin(shooter_names.index)
    assert (as_shooter[both].to_numpy() == shooter_names[ids[both]].to_numpy()).all()


def test_clock_formats_and_ranges(shots: pd.DataFrame) -> None:
    # "M:SS" with unpadded minutes, as in the real file ("9:58", "0:03", "11:49").
    assert shots["GAME_CLOCK"].str.fullmatch(r"(\d|1[0-2]):[0-5]\d").all()
    assert shots["PERIOD"].between(1, 7).all()
    assert (shots["PERIOD"] >= 5).mean() < 0.05, "overtime is rare"
    clock = shots["GAME_CLOCK"].str.split(":", expand=True).astype(int)
    remaining = clock[0] * 60 + clock[1]
    assert (remaining[shots["PERIOD"] >= 5] <= 300).all()
    assert shots["SHOT_CLOCK"].dropna().between(0, 24).all()
    missing = shots["SHOT_CLOCK"].isna()
    assert 0.02 < missing.mean() < 0.08
    assert missing[remaining < 24].mean() > 0.4, "shot clock off late in periods"
    assert not (shots["SHOT_CLOCK"] > remaining).any(), "shot clock within game clock"
    assert (shots["DRIBBLES"] >= 0).all()
    negative_touch = (shots["TOUCH_TIME"] < 0).mean()
    assert 0.0 < negative_touch < 0.01, "the real file's rare negative touch times"


def test_points_type_follows_distance_with_rare_disagreements(
    shots: pd.DataFrame,
) -> None:
    dist, pts_type = shots["SHOT_DIST"], shots["PTS_TYPE"]
    assert set(pts_type) == {2, 3}
    short_threes = ((pts_type == 3) & (dist < 22)).mean()
    long_twos = ((pts_type == 2) & (dist > 23.75)).mean()
    assert 0.0 < short_threes < 0.015
    assert 0.0 < long_twos < 0.01
    assert (pts_type[dist < 20] == 2).mean() > 0.99
    assert (pts_type[dist > 24] == 3).mean() > 0.95
    assert 0.2 < (pts_type == 3).mean() < 0.35


def test_outcome_columns_are_consistent(shots: pd.DataFrame) -> None:
    assert set(shots["FGM"]) == {0, 1}
    assert ((shots["SHOT_RESULT"] == "made") == (shots["FGM"] == 1)).all()
    assert set(shots["SHOT_RESULT"]) == {"made", "missed"}
    assert (shots["PTS"] == shots["FGM"] * shots["PTS_TYPE"]).all()


def test_made_share_is_realistic(shots: pd.DataFrame) -> None:
    assert 0.40 <= shots["FGM"].mean() <= 0.50


def test_make_rate_falls_with_distance(shots: pd.DataFrame) -> None:
    dist = shots["SHOT_DIST"]
    rim = _make_rate(shots, dist < 4)
    mid = _make_rate(shots, dist.between(10, 22, inclusive="left"))
    three = _make_rate(shots, (shots["PTS_TYPE"] == 3) & dist.between(22, 30))
    assert rim > mid > three
    assert rim > 0.55 and three < 0.40


def test_make_rate_rises_with_defender_distance(shots: pd.DataFrame) -> None:
    # Compared within distance bands: tight defence is mostly at the rim, so the raw
    # marginal trend is confounded by distance (as in the real file).
    dist, space = shots["SHOT_DIST"], shots["CLOSE_DEF_DIST"]
    for band in (dist < 4, dist.between(4, 10), dist.between(10, 22), dist >= 22):
        tight = _make_rate(shots, band & (space < 2.5))
        open_ = _make_rate(shots, band & (space >= 6))
        assert open_ > tight + 0.01


def test_same_seed_same_frame_other_seed_different() -> None:
    first = generate_shots(20, seed=3)
    pd.testing.assert_frame_equal(first, generate_shots(20, seed=3))
    other = generate_shots(20, seed=4)
    assert not first.equals(other)
    assert set(first["player_id"]) != set(other["player_id"])


def test_csv_gz_round_trip(shots: pd.DataFrame, tmp_path) -> None:
    target = tmp_path / "nested" / "dir" / "shots.csv.gz"
    written = write_shots(shots, target)
    assert written == target and target.exists()
    with gzip.open(target, "rt") as handle:
        assert handle.readline().strip() == ",".join(KAGGLE_COLUMNS)
    pd.testing.assert_frame_equal(pd.read_csv(target), shots, check_exact=True)


def test_plain_csv_is_not_compressed(tmp_path) -> None:
    frame = generate_shots(3, seed=2)
    target = write_shots(frame, str(tmp_path / "shots.csv"))
    assert target.read_bytes()[:2] != b"\x1f\x8b"
    pd.testing.assert_frame_equal(pd.read_csv(target), frame, check_exact=True)


def test_logistic_model_generalises_to_later_dates(shots: pd.DataFrame, parsed: pd.DataFrame) -> None:
    dates = np.sort(parsed["date"].unique())
    cutoff = dates[int(len(dates) * 0.7)]
    train, test = parsed["date"] < cutoff, parsed["date"] >= cutoff
    features = ["SHOT_DIST", "CLOSE_DEF_DIST"]
    model = LogisticRegression().fit(shots.loc[train, features], shots.loc[train, "FGM"])
    scores = model.predict_proba(shots.loc[test, features])[:, 1]
    assert roc_auc_score(shots.loc[test, "FGM"], scores) > 0.58
