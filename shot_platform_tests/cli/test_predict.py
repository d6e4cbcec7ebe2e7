"""`shot-platform predict shots`: labels cannot change a prediction; unknown players get the prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.shots.schema import CONTEXT_COLUMNS, OUTCOME_COLUMNS
from shot_platform.shots.synthetic import generate_shots


def predict(home: Path, frame: pd.DataFrame, tmp_path: Path, name: str) -> pd.DataFrame:
    source, target = tmp_path / f"{name}.csv", tmp_path / f"{name}_scored.csv"
    frame.to_csv(source, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(home))
        result = CliRunner().invoke(cli, ["predict", "shots", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(target, keep_default_na=False, na_values=[""])


def test_outcome_columns_cannot_change_predictions(trained_home: Path, tmp_path: Path):
    new_games = generate_shots(games=10, seed=99)
    with_labels = predict(trained_home, new_games, tmp_path, "labels")
    without = predict(trained_home, new_games.drop(columns=list(OUTCOME_COLUMNS)), tmp_path, "none")
    rng = np.random.default_rng(0)
    scrambled = new_games.assign(
        FGM=rng.integers(0, 2, len(new_games)),
        SHOT_RESULT=rng.choice(["made", "missed"], len(new_games)),
        PTS=rng.integers(0, 4, len(new_games)),
        W=rng.choice(["W", "L"], len(new_games)),
        FINAL_MARGIN=rng.integers(-30, 30, len(new_games)),
    )
    scrambled_out = predict(trained_home, scrambled, tmp_path, "scrambled")

    assert len(with_labels) == len(new_games)
    assert with_labels["make_probability"].between(0.01, 0.99).all()
    np.testing.assert_array_equal(with_labels["make_probability"], without["make_probability"])
    np.testing.assert_array_equal(with_labels["make_probability"], scrambled_out["make_probability"])
    assert with_labels["model_version"].nunique() == 1
    # The predictions carry information: they rank made shots above missed ones.
    made = with_labels["FGM"] == 1
    assert with_labels.loc[made, "make_probability"].mean() > with_labels.loc[~made, "make_probability"].mean()


def test_unknown_players_and_bad_rows(trained_home: Path, tmp_path: Path):
    rows = generate_shots(games=2, seed=5).head(4).copy()
    rows["player_id"] = [777_000_001, 777_000_002, 777_000_003, 777_000_004]
    rows["CLOSEST_DEFENDER_PLAYER_ID"] = 666_000_001
    rows.iloc[3, rows.columns.get_loc("SHOT_DIST")] = -4.0
    out = predict(trained_home, rows, tmp_path, "strangers")
    assert out["make_probability"].iloc[:3].between(0.05, 0.95).all()
    assert np.isnan(out["make_probability"].iloc[3])
    assert "SHOT_DIST must be a finite number" in out["rejection_reason"].iloc[3]
    assert (out["rejection_reason"].iloc[:3].fillna("") == "").all()  # empty in the CSV


def test_predict_without_a_model_says_what_to_do(platform_home: Path, tmp_path: Path):
    generate_shots(games=1, seed=1).to_csv(tmp_path / "in.csv", index=False)
    predict = ["predict", "shots", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, predict)
    assert result.exit_code == 1
    # an empty home: the first step is the ingest, then the group that trains (not a bare `materialize`,
    # which would fail on a domain with no data)
    assert "error: no shot_model model yet: load data with `shot-platform ingest shots FILE`, then train one with " \
        "`shot-platform materialize --select group:shots`" in result.output  # fmt: skip
    assert CliRunner().invoke(cli, ["ingest", "shots", str(tmp_path / "in.csv")]).exit_code == 0
    after = CliRunner().invoke(cli, predict)
    assert after.exit_code == 1 and "ingest" not in after.output
    assert (
        "error: no shot_model model yet: train one with `shot-platform materialize --select group:shots`"
        in after.output
    )
    listing = CliRunner().invoke(cli, ["models", "list"])
    assert listing.exit_code == 0
    assert (
        "no score_beater models in" in listing.output
        and "`shot-platform ingest free-throws FILE`, then" in listing.output
    )
    assert "train one with `shot-platform materialize --select group:shots`" in listing.output


def test_a_file_with_only_the_shot_context_is_scored_with_current_profiles(trained_home: Path, tmp_path: Path):
    rows = generate_shots(games=3, seed=8)
    minimal = rows[list(CONTEXT_COLUMNS)]
    out = predict(trained_home, minimal, tmp_path, "minimal")
    assert len(out) == len(rows)
    assert out["make_probability"].between(0.01, 0.99).all()
    assert list(out.columns[: len(CONTEXT_COLUMNS)]) == list(CONTEXT_COLUMNS)
