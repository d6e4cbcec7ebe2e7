"""Ingest: good, duplicate and bad rows, cleaning rules, idempotency; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file, read_shot_file
from shot_platform.shots.store import ShotStore
from shot_platform_tests.conftest import BAD_ROW_REASONS, bad_rows


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_good_rows_are_stored_and_reingest_adds_nothing(store: ShotStore, synthetic_file: Path, synthetic_shots):
    first = ingest_shot_file(store, synthetic_file)
    assert first.inserted == len(synthetic_shots) == store.shot_summary()["rows"]
    assert first.duplicates == first.quarantined == 0

    second = ingest_shot_file(store, synthetic_file)
    assert second.inserted == 0
    assert second.duplicates == len(synthetic_shots)
    assert store.shot_summary()["rows"] == len(synthetic_shots)

    stored = store.load_shots()
    assert stored["game_date"].min() == pd.Timestamp("2014-10-28")
    assert set(stored["team"]) == set(synthetic_shots["MATCHUP"].str.split(" - ").str[1].str[:3])


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_kept(store: ShotStore, synthetic_shots, tmp_path: Path):
    good = synthetic_shots.iloc[:200]
    path = write(pd.concat([good, bad_rows(synthetic_shots)]), tmp_path / "mixed.csv")

    report = ingest_shot_file(store, path)
    assert (report.inserted, report.quarantined, report.quarantined_new) == (200, 5, 5)
    quarantine = store.load_quarantine()
    for expected in BAD_ROW_REASONS:
        assert quarantine["reason"].str.contains(expected, regex=False).sum() == 1, expected
    # The raw row is kept exactly as it was in the file, with its line number.
    negative = quarantine[quarantine["reason"].str.contains("SHOT_DIST")].iloc[0]
    assert json.loads(negative["raw"])["SHOT_DIST"] == "-3.0"
    assert negative["line"] == 202

    again = ingest_shot_file(store, path)
    assert (again.inserted, again.duplicates, again.quarantined, again.quarantined_new) == (0, 200, 5, 0)
    assert len(store.load_quarantine()) == 5
    assert store.shot_summary()["rows"] == 200


def test_duplicate_keys_within_a_file_and_against_the_store(store: ShotStore, synthetic_shots, tmp_path: Path):
    rows = synthetic_shots.iloc[:10]
    changed = rows.iloc[[0]].assign(SHOT_DIST=rows.iloc[0]["SHOT_DIST"] + 1.0)
    report = ingest_shot_file(store, write(pd.concat([rows, rows.iloc[[1]], changed]), tmp_path / "dups.csv"))
    assert (report.inserted, report.duplicates, report.quarantined) == (10, 1, 1)
    assert "duplicate key in the file" in store.load_quarantine()["reason"].iloc[0]

    conflicting = rows.iloc[[2]].assign(CLOSE_DEF_DIST=rows.iloc[2]["CLOSE_DEF_DIST"] + 2.0)
    later = ingest_shot_file(store, write(conflicting, tmp_path / "conflict.csv"))
    assert (later.inserted, later.quarantined) == (0, 1)
    assert store.load_quarantine()["reason"].str.contains("conflicts with the stored row").sum() == 1
    stored = store.load_shots().set_index(["GAME_ID", "player_id", "SHOT_NUMBER"])
    key = tuple(int(rows.iloc[2][k]) for k in ("GAME_ID", "player_id", "SHOT_NUMBER"))
    assert stored.loc[key, "CLOSE_DEF_DIST"] == pytest.approx(rows.iloc[2]["CLOSE_DEF_DIST"])


def test_known_quirks_are_cleaned_by_the_documented_rules(store: ShotStore, synthetic_shots, tmp_path: Path):
    rows = synthetic_shots.iloc[:4].copy()
    rows["PERIOD"] = 2
    rows["SHOT_CLOCK"] = 10.0
    rows["GAME_CLOCK"] = "5:00"
    rows["TOUCH_TIME"] = 2.0
    rows["PTS_TYPE"] = 2
    rows["SHOT_DIST"] = 12.0
    rows["PTS"] = 2 * rows["FGM"]
    rows.iloc[0, rows.columns.get_loc("SHOT_CLOCK")] = None
    rows.iloc[0, rows.columns.get_loc("GAME_CLOCK")] = "0:15"
    rows.iloc[1, rows.columns.get_loc("SHOT_CLOCK")] = None
    rows.iloc[1, rows.columns.get_loc("GAME_CLOCK")] = "6:00"
    rows.iloc[2, rows.columns.get_loc("TOUCH_TIME")] = -1.5
    rows.iloc[3, rows.columns.get_loc("PTS_TYPE")] = 3
    rows.iloc[3, rows.columns.get_loc("SHOT_DIST")] = 20.5
    rows.iloc[3, rows.columns.get_loc("PTS")] = 3 * rows.iloc[3]["FGM"]

    report = ingest_shot_file(store, write(rows, tmp_path / "quirks.csv"))
    assert report.inserted == 4
    assert report.cleaned == {
        "shot_clock_off": 1,
        "shot_clock_missing": 1,
        "touch_time_negative": 1,
        "three_inside_line": 1,
    }
    stored = store.load_shots().sort_values("id").reset_index(drop=True)
    assert stored.loc[0, "SHOT_CLOCK"] == 15.0
    assert pd.isna(stored.loc[1, "SHOT_CLOCK"])
    assert (stored.loc[2, "TOUCH_TIME"], stored.loc[2, "touch_time_raw"]) == (0.0, -1.5)
    assert (stored.loc[3, "SHOT_DIST"], stored.loc[3, "shot_dist_raw"]) == (22.0, 20.5)
    assert stored["cleaning_notes"].tolist() == [
        "shot_clock_off",
        "shot_clock_missing",
        "touch_time_negative",
        "three_inside_line",
    ]


def test_unusable_files_raise_with_a_reason(tmp_path: Path):
    with pytest.raises(ShotFileError, match="no such file"):
        read_shot_file(tmp_path / "missing.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ShotFileError, match="columns missing: GAME_ID, MATCHUP"):
        read_shot_file(tmp_path / "other.csv")
    (tmp_path / "broken.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ShotFileError, match=r"is named \.gz but is not gzip data"):
        read_shot_file(tmp_path / "broken.csv.gz")


def test_cli_ingest_prints_counts_and_fails_only_on_unreadable_files(platform_home: Path, synthetic_shots, tmp_path):
    path = write(pd.concat([synthetic_shots.iloc[:50], bad_rows(synthetic_shots)]), tmp_path / "in.csv")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "shots", str(path)])
    assert result.exit_code == 0, result.output
    assert "inserted 50, duplicate 0, quarantined 5" in result.output
    assert (platform_home / "store.db").exists()

    again = runner.invoke(cli, ["ingest", "shots", str(path)])
    assert "inserted 0, duplicate 50, quarantined 5" in again.output

    missing = runner.invoke(cli, ["ingest", "shots", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    assert "no such file" in missing.output


def test_integers_written_as_decimals_are_stored_as_integers(store: ShotStore, synthetic_shots, tmp_path: Path):
    rows = synthetic_shots.iloc[:3].astype(object)
    for column in ("GAME_ID", "player_id", "SHOT_NUMBER", "FINAL_MARGIN", "FGM", "PTS", "PERIOD"):
        rows[column] = [f"{value}.0" for value in synthetic_shots[column].iloc[:3]]
    report = ingest_shot_file(store, write(rows, tmp_path / "decimals.csv"))
    assert (report.inserted, report.quarantined) == (3, 0)
    stored = store.load_shots().sort_values("id")
    assert stored["FINAL_MARGIN"].tolist() == synthetic_shots["FINAL_MARGIN"].iloc[:3].tolist()
    assert stored["GAME_ID"].tolist() == synthetic_shots["GAME_ID"].iloc[:3].tolist()
    # The same shots spelled differently are the same typed values: duplicates, not conflicts.
    again = ingest_shot_file(store, write(synthetic_shots.iloc[:3], tmp_path / "ints.csv"))
    assert (again.inserted, again.duplicates, again.quarantined) == (0, 3, 0)
    assert store.shot_summary()["rows"] == 3


def test_post_game_facts_that_are_not_numbers_are_quarantined(store: ShotStore, synthetic_shots, tmp_path: Path):
    rows = synthetic_shots.iloc[:4].astype(object)
    rows.iloc[0, rows.columns.get_loc("FINAL_MARGIN")] = "3.5"
    rows.iloc[1, rows.columns.get_loc("W")] = "won"
    report = ingest_shot_file(store, write(rows, tmp_path / "facts.csv"))
    assert (report.inserted, report.quarantined) == (2, 2)
    assert [r["reason"] for r in report.rejected] == [
        "FINAL_MARGIN must be empty or a whole number within -200..200 (the NBA record margin is 73)",
        "W must be empty or 'W' or 'L' (the game's result)",
    ]
    assert [r["line"] for r in report.rejected] == [2, 3]
