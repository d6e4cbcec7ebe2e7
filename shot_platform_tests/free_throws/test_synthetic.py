"""The synthetic free-throw generator: the Kaggle schema and formats, determinism, realism."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from shot_platform.cli import cli
from shot_platform.free_throws.counts import build_counts
from shot_platform.free_throws.ingest.validation import rejection_reasons
from shot_platform.free_throws.inputs import snapshot_inputs
from shot_platform.free_throws.labels import BEAT, attach_labels, beat_labels
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.synthetic import generate_free_throws


def test_header_is_the_real_files(real_free_throws_path: Path, free_throw_file: Path):
    real = pd.read_csv(real_free_throws_path, nrows=5)
    synthetic = pd.read_csv(free_throw_file, nrows=5)
    assert list(synthetic.columns) == list(real.columns) == list(FREE_THROW_COLUMNS)
    assert list(synthetic.dtypes) == list(real.dtypes)


def test_values_use_the_files_formats_and_pass_validation(synthetic_free_throws: pd.DataFrame):
    frame = synthetic_free_throws
    text = frame.astype(str)
    assert text["end_result"].str.fullmatch(r"\d+ - \d+").all()
    assert text["score"].str.fullmatch(r"\d+ - \d+").all()
    assert text["game"].str.fullmatch(r"[A-Z]{2,4} - [A-Z]{2,4}").all()
    assert text["season"].isin(["2010 - 2011", "2011 - 2012", "2012 - 2013"]).all()
    assert text["time"].str.fullmatch(r"\d{1,2}:[0-5]\d").all()
    assert set(frame["playoffs"]) == {"regular", "playoffs"} and set(frame["shot_made"]) == {0, 1}
    assert text["play"].str.fullmatch(r".+ (makes|misses) (free throw \d of \d|technical free throw)").all()
    made_text = text["play"].str.contains(" makes ")
    assert (made_text == (frame["shot_made"] == 1)).all()
    assert (frame.apply(lambda row: row["play"].startswith(row["player"]), axis=1)).all()
    assert 0.72 < frame["shot_made"].mean() < 0.8  # the real file: 75.8%
    assert (rejection_reasons(text) == "").all()
    # The running score never goes down within a game and ends below or at the final score.
    scores = text["score"].str.split(" - ", expand=True).astype(int)
    final = text["end_result"].str.split(" - ", expand=True).astype(int)
    assert ((scores <= final).all(axis=1)).all()
    # game_id sorts games by date within a season, like the file's date-prefixed ids.
    assert frame.groupby("game_id")["season"].nunique().max() == 1


def test_same_seed_same_file_other_seed_other_file():
    first = generate_free_throws(seasons=2, regular_games=60, playoff_games=4, seed=11)
    again = generate_free_throws(seasons=2, regular_games=60, playoff_games=4, seed=11)
    other = generate_free_throws(seasons=2, regular_games=60, playoff_games=4, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_seasons_have_rookies_retirements_a_short_season_and_an_all_star_game():
    frame = generate_free_throws(seasons=3, first_season=2010, regular_games=410, playoff_games=20, seed=5)
    counts = build_counts(frame)
    assert counts.scheduled_games.to_dict() == {2010: 410, 2011: 330, 2012: 410}  # 66 of 82 games in 2011-12
    players = {season: set(group["player"]) for season, group in counts.totals.groupby("season")}
    assert len(players[2011] - players[2010]) > 20  # rookies
    assert len(players[2010] - players[2011]) > 20  # retired or released
    assert (frame["game"] == "EAST - WEST").sum() > 0  # stored as regular season, excluded from counts
    assert "EAST - WEST" not in set(frame.loc[frame["game_id"].isin(counts.schedule["game_id"]), "game"])
    # Minutes change between seasons: last season's made alone does not fix this season's.
    totals = counts.totals.pivot(index="player", columns="season", values="made").dropna()
    assert 0.5 < np.corrcoef(totals[2010], totals[2012])[0, 1] < 0.95


def test_the_label_is_learnable_from_counts_so_far():
    frame = generate_free_throws(seasons=2, regular_games=600, playoff_games=0, seed=2)
    counts = build_counts(frame)
    labels = beat_labels(counts.totals)
    midway = attach_labels(snapshot_inputs(counts, 2007, 300).astype({"player": str}), labels)
    pace = midway["made"] / midway["last_made"].clip(lower=1)
    assert 0.2 < midway[BEAT].mean() < 0.7
    assert roc_auc_score(midway[BEAT], pace) > 0.8


def test_cli_writes_three_full_seasons_in_seconds(tmp_path: Path):
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["generate", "free-throws", "--seasons", "3", "-o", str(tmp_path / "ft.csv.gz")])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "from 3," in result.output and "of 3 seasons" in result.output
    written = pd.read_csv(tmp_path / "ft.csv.gz")
    assert written["season"].nunique() == 3 and len(written) > 150_000
    assert elapsed < 30  # measured 3-4 s on the shared 2-core machine
    refused = CliRunner().invoke(cli, ["generate", "free-throws", "--seasons", "0", "-o", str(tmp_path / "x.csv")])
    assert refused.exit_code == 2 and "must be at least 1" in refused.output
