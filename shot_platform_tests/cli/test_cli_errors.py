"""Files and arguments the CLI cannot use: one `error: ...` line saying what to do, exit code 1, no traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.shots.schema import SHOT_LOG_COLUMNS
from shot_platform.shots.synthetic import generate_shots


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    return result


def assert_clear_error(result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    for text in expected:
        assert text in lines[0], lines[0]


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    header = ",".join(SHOT_LOG_COLUMNS) + "\n"
    good = gzip.compress((header + "1,2,3\n" * 1000).encode())
    files = {
        "empty": (tmp_path / "empty.csv", "is empty"),
        "empty_gz": (tmp_path / "empty.csv.gz", "is empty"),
        "corrupt_gzip": (tmp_path / "corrupt.csv.gz", "gzip data is corrupt"),
        "truncated_gzip": (tmp_path / "truncated.csv.gz", "gzip data is corrupt or cut short"),
        "not_gzip": (tmp_path / "plain.csv.gz", "is not gzip data"),
        "directory": (tmp_path / "folder", "is a directory"),
        "missing": (tmp_path / "nope.csv", "no such file"),
        "blank": (tmp_path / "blank.csv", "has no header line"),
        "other_csv": (tmp_path / "other.csv", "columns missing"),
    }
    files["empty"][0].write_bytes(b"")
    files["empty_gz"][0].write_bytes(b"")
    files["corrupt_gzip"][0].write_bytes(good[:10] + b"\x00garbage" * 50 + good[400:])
    files["truncated_gzip"][0].write_bytes(good[: len(good) // 2])
    files["not_gzip"][0].write_bytes(header.encode())
    files["directory"][0].mkdir()
    files["blank"][0].write_text("\n\n")
    files["other_csv"][0].write_text("a,b\n1,2\n")
    return files


@pytest.mark.parametrize(
    "case",
    ["empty", "empty_gz", "corrupt_gzip", "truncated_gzip", "not_gzip", "directory", "missing", "blank", "other_csv"],
)
def test_ingest_refuses_unusable_files_in_one_line(platform_home: Path, tmp_path: Path, case: str):
    path, expected = bad_files(tmp_path)[case]
    assert_clear_error(run("ingest", "shots", str(path)), str(path), expected)


@pytest.mark.parametrize("case", ["empty", "corrupt_gzip", "directory"])
def test_predict_refuses_unusable_input_files_in_one_line(trained_home: Path, tmp_path: Path, case: str):
    path, expected = bad_files(tmp_path)[case]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(trained_home))
        result = run("predict", "shots", str(path), "-o", str(tmp_path / "out.csv"))
    assert_clear_error(result, expected)


def test_predict_creates_a_missing_output_folder_and_scores_a_header_only_file(trained_home: Path, tmp_path: Path):
    source = tmp_path / "in.csv"
    generate_shots(games=1, seed=3).head(5).to_csv(source, index=False)
    (tmp_path / "header_only.csv").write_text(",".join(SHOT_LOG_COLUMNS) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(trained_home))
        scored = run("predict", "shots", str(source), "-o", str(tmp_path / "new" / "deeper" / "out.csv"))
        nothing = run("predict", "shots", str(tmp_path / "header_only.csv"), "-o", str(tmp_path / "none.csv"))
        into_dir = run("predict", "shots", str(source), "-o", str(tmp_path))
    assert scored.exit_code == 0, scored.output
    assert (tmp_path / "new" / "deeper" / "out.csv").read_text().count("\n") == 6
    assert nothing.exit_code == 0 and "scored 0 rows" in nothing.output
    assert_clear_error(into_dir, "is a directory", "give a file name")


def test_materialize_refuses_an_unknown_asset_and_lists_the_known_ones(platform_home: Path):
    result = run("materialize", "--select", "raw_shots,shot_modle")
    # domain by domain (in registration order), each in graph order
    assert_clear_error(result, "unknown asset shot_modle", "known assets: ", "raw_shots, player_features, shot_model")


def test_materialize_on_an_empty_home_names_the_ingest_commands_before_running_anything(platform_home: Path):
    result = run("materialize")
    assert_clear_error(result, "no data stored yet", "shot-platform ingest shots FILE", "ingest free-throws FILE")
    assert "shot-platform demo" in result.output
    assert not (platform_home / "dagster").exists() or not any((platform_home / "dagster").rglob("*.db"))


def test_sync_without_a_scores_api_says_how_to_start_one_and_not_that_games_were_kept(
    platform_home: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SHOT_PLATFORM_SCORES_API_URL", raising=False)
    result = run("sync", "free-throws")
    assert_clear_error(result, "no Scores API URL", "shot-platform scores-api serve", "--scores-api")
    assert "games processed before this are kept" not in result.output
