"""Free-throw ingest: good, duplicate and bad rows, idempotency, unusable files; SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from shot_platform.cli import cli
from shot_platform.core.ingest.quarantine import quarantine as quarantine_table
from shot_platform.free_throws.ingest.events import (
    FreeThrowFileError,
    ingest_free_throw_file,
    read_free_throw_file,
)
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.store import FreeThrowStore, tables

INTEGER_COLUMNS = ("game_id", "period", "shot_made")


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def one_game(synthetic: pd.DataFrame) -> pd.DataFrame:
    first = synthetic["game_id"].iloc[0]
    return synthetic[synthetic["game_id"] == first].reset_index(drop=True)


def bad_free_throws(synthetic: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows of a game of their own, each broken in one documented way, and the expected reasons."""
    rows = one_game(synthetic).iloc[:9].astype(object).copy()
    rows["game_id"] = 999999991  # no key collides with good rows
    breaks = [
        ("shot_made", "2", "shot_made must be 0 or 1"),
        ("period", "0", "period must be a whole number within 1..10"),
        ("time", "12:75", "time must be 'M:SS'"),
        ("time", "13:00", "time is longer than the period"),
        ("season", "2006 - 2008", "season must be two consecutive years"),
        ("player", None, "player is missing"),
        ("playoffs", "final", "playoffs must be 'regular' or 'playoffs'"),
        ("score", "12-3", "score must be 'AWAY - HOME'"),
        ("shot_made", "FLIP", "shot_made disagrees with the play text"),
    ]
    reasons = []
    for position, (column, value, reason) in enumerate(breaks):
        if value == "FLIP":
            value = 1 - int(rows.iloc[position]["shot_made"])
        rows.iloc[position, rows.columns.get_loc(column)] = value
        reasons.append(reason)
    return rows, reasons


def test_good_rows_are_stored_and_reingest_adds_nothing(
    free_throw_store: FreeThrowStore, free_throw_file: Path, synthetic_free_throws: pd.DataFrame
):
    first = ingest_free_throw_file(free_throw_store, free_throw_file)
    assert first.inserted == len(synthetic_free_throws) == free_throw_store.summary()["rows"]
    assert first.duplicates == first.quarantined == 0

    second = ingest_free_throw_file(free_throw_store, free_throw_file)
    assert (second.inserted, second.duplicates, second.quarantined) == (0, len(synthetic_free_throws), 0)
    assert free_throw_store.summary()["rows"] == len(synthetic_free_throws)

    stored = free_throw_store.load_events()
    expected = synthetic_free_throws.sort_values(["game_id"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, expected[stored.columns], check_dtype=False)


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_kept(
    free_throw_store: FreeThrowStore, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    good = synthetic_free_throws.iloc[:300]
    bad, reasons = bad_free_throws(synthetic_free_throws)
    path = write(pd.concat([good, bad]), tmp_path / "mixed.csv")

    report = ingest_free_throw_file(free_throw_store, path)
    assert (report.inserted, report.duplicates, report.quarantined, report.quarantined_new) == (300, 0, 9, 9)
    assert [r["line"] for r in report.rejected] == list(range(302, 311))
    quarantine = free_throw_store.load_quarantine()
    for line, expected in zip(range(302, 311), reasons, strict=True):
        row = quarantine[quarantine["line"] == line].iloc[0]
        assert expected in row["reason"], (line, row["reason"])
    # The raw row is kept exactly as it was in the file.
    raw = json.loads(quarantine[quarantine["line"] == 303].iloc[0]["raw"])
    assert raw["period"] == "0" and raw["game_id"] == "999999991"

    again = ingest_free_throw_file(free_throw_store, path)
    assert (again.inserted, again.duplicates, again.quarantined, again.quarantined_new) == (0, 300, 9, 0)
    assert len(free_throw_store.load_quarantine()) == 9
    assert free_throw_store.summary()["rows"] == 300


def test_a_game_changed_after_storing_is_quarantined_and_repeats_are_duplicates(
    free_throw_store: FreeThrowStore, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    game = one_game(synthetic_free_throws)
    # The same file twice in one (a concatenation): the repeats are duplicates, nothing is counted twice.
    doubled = ingest_free_throw_file(free_throw_store, write(pd.concat([game, game]), tmp_path / "twice.csv"))
    assert (doubled.inserted, doubled.duplicates, doubled.quarantined) == (len(game), len(game), 0)

    changed = game.copy()
    changed.loc[3, "time"] = "0:01"
    later = ingest_free_throw_file(free_throw_store, write(changed, tmp_path / "changed.csv"))
    assert (later.inserted, later.duplicates, later.quarantined) == (0, len(game) - 1, 1)
    assert "conflicts with the stored row" in free_throw_store.load_quarantine()["reason"].iloc[0]
    stored = free_throw_store.load_events()
    assert stored.loc[3, "time"] == game.loc[3, "time"]  # never overwritten


def test_rows_of_a_game_disagreeing_on_the_game_are_quarantined(
    free_throw_store: FreeThrowStore, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    game = one_game(synthetic_free_throws).astype(object)
    game.loc[2, "end_result"] = "1 - 0"
    report = ingest_free_throw_file(free_throw_store, write(game, tmp_path / "game.csv"))
    assert (report.inserted, report.quarantined) == (len(game) - 1, 1)
    assert "differ from the other rows of this game_id" in report.rejected[0]["reason"]


def test_unusable_files_raise_with_a_reason(tmp_path: Path, synthetic_free_throws: pd.DataFrame):
    with pytest.raises(FreeThrowFileError, match="no such file"):
        read_free_throw_file(tmp_path / "missing.csv")
    with pytest.raises(FreeThrowFileError, match="is a directory"):
        read_free_throw_file(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FreeThrowFileError, match="is empty"):
        read_free_throw_file(tmp_path / "empty.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FreeThrowFileError, match="columns missing: end_result, game, game_id"):
        read_free_throw_file(tmp_path / "other.csv")
    (tmp_path / "broken.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(FreeThrowFileError, match=r"is named \.gz but is not gzip data"):
        read_free_throw_file(tmp_path / "broken.csv.gz")
    whole = gzip.compress(synthetic_free_throws.head(500).to_csv(index=False).encode())
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FreeThrowFileError, match="corrupt or cut short"):
        read_free_throw_file(tmp_path / "cut.csv.gz")


def test_cli_ingest_prints_counts_and_fails_only_on_unusable_files(
    platform_home: Path, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    bad, _ = bad_free_throws(synthetic_free_throws)
    path = write(pd.concat([synthetic_free_throws.iloc[:50], bad]), tmp_path / "in.csv")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "free-throws", str(path)])
    assert result.exit_code == 0, result.output
    assert "inserted 50, duplicate 0, quarantined 9" in result.output
    # progress is a bar on a terminal only (cli/test_progress.py); the runner's streams are not one
    assert "inserted:" not in result.output and "it/s" not in result.output
    again = runner.invoke(cli, ["ingest", "free-throws", str(path)])
    assert "inserted 0, duplicate 50, quarantined 9" in again.output
    listing = runner.invoke(cli, ["quarantine", "--domain", "free-throws"])
    assert listing.exit_code == 0 and "9 quarantined rows" in listing.output and "in.csv:52: " in listing.output

    (tmp_path / "empty.csv").write_bytes(b"")
    for unusable, message in ((tmp_path / "nope.csv", "no such file"), (tmp_path / "empty.csv", "empty")):
        failed = runner.invoke(cli, ["ingest", "free-throws", str(unusable)])
        assert failed.exit_code == 1 and message in failed.output


# -- property: whatever the values, each row is stored exactly or quarantined with a reason ---------
ODD_VALUES = st.sampled_from(
    ["", " ", "-1", "0", "1", "2", "1.0", "1e3", "08", "5", "11", "12:60", "99:59", "7:26", "0:00", "abc",
     "1 - 2", "106 - 114", "EAST - WEST", "2006 - 2008", "2012 - 2013", "9223372036854775808", "makes", "misses",
     "A makes free throw 1 of 2", r"\N", '"q"', "a,b", "x\ny", "regular", "playoffs", "é", "\x00"]
)  # fmt: skip
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def messy_games(draw: st.DrawFn, base: pd.DataFrame) -> pd.DataFrame:
    """Rows of up to three games, some values replaced by odd or arbitrary text."""
    rows = base.iloc[: draw(st.integers(1, len(base)))].astype(str).copy()
    rows["game_id"] = [draw(st.sampled_from(["101", "102", "103"])) for _ in range(len(rows))]
    for _ in range(draw(st.integers(0, 8))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.sampled_from(FREE_THROW_COLUMNS))
        rows.iloc[row, rows.columns.get_loc(column)] = draw(st.one_of(ODD_VALUES, ANY_TEXT))
    return rows.reset_index(drop=True)


def stored_exactly(raw: pd.Series) -> tuple:
    """A raw row as the store must hold it: text unchanged, integers exactly the number written."""
    return tuple(int(Decimal(raw[c])) if c in INTEGER_COLUMNS else raw[c] for c in FREE_THROW_COLUMNS)


@pytest.mark.slow
def test_every_row_is_stored_exactly_or_quarantined(
    free_throw_store: FreeThrowStore, synthetic_free_throws: pd.DataFrame, tmp_path: Path
):
    base = one_game(synthetic_free_throws).head(12)

    @given(messy_games(base))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(frame: pd.DataFrame) -> None:
        with free_throw_store.engine.begin() as conn:
            conn.execute(delete(tables.free_throws))
            conn.execute(delete(quarantine_table))
        path = write(frame, tmp_path / "messy.csv")
        table = read_free_throw_file(path)
        raw, position_of_line = table.frame, {int(line): i for i, line in enumerate(table.lines)}
        report = ingest_free_throw_file(free_throw_store, path)
        assert report.inserted + report.duplicates + report.quarantined == len(raw)
        rejected = {position_of_line[entry["line"]] for entry in report.rejected}
        assert all(entry["reason"] for entry in report.rejected)
        kept = raw.drop(index=list(rejected))
        stored = free_throw_store.load_events()
        assert len(stored) == report.inserted
        assert set(map(tuple, stored.itertuples(index=False, name=None))) == {
            stored_exactly(row) for _, row in kept.iterrows()
        }
        quarantine = free_throw_store.load_quarantine()
        for record in quarantine.itertuples():
            original = raw.loc[position_of_line[record.line]]
            assert json.loads(record.raw) == {c: (None if pd.isna(original[c]) else original[c]) for c in raw}
        again = ingest_free_throw_file(free_throw_store, path)
        assert (again.inserted, again.quarantined_new) == (0, 0)
        assert free_throw_store.summary()["rows"] == report.inserted

    check()
