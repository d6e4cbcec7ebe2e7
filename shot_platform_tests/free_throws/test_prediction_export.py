"""`predictions score-beater`: filters in the database, CSV and Parquet alike, written batch by batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert

from shot_platform.cli import cli
from shot_platform.free_throws.commands.predictions import SeasonType
from shot_platform.free_throws.prediction_export import PredictionFilter, batches, export
from shot_platform.free_throws.store import FreeThrowStore, tables

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
A, B = "2011 - 2012", "2012 - 2013"
# (season, player, games_played, model_version, probability, minutes after T0)
ROWS = [
    (2011, "Ann", 0, "1", 0.10, 0),
    (2011, "Ann", 5, "1", 0.20, 1),
    (2011, "Ann", 5, "2", 0.25, 2),  # the newer model re-predicted the same point: in force
    (2011, "Bob", 0, "1", 0.30, 0),
    (2012, "Ann", 0, "2", 0.40, 3),
    (2012, "Bob", 0, "2", 0.50, 3),
    (2012, "Bob", 7, "2", 0.60, 4),
]


def row(season: int, player: str, games: int, version: str, probability: float, minutes: int) -> dict:
    made_at = T0 + dt.timedelta(minutes=minutes)
    keys = {"season": season, "player": player, "games_played": games, "model_version": version}
    return keys | {"input_hash": "h", "probability": probability, "made_at": made_at}


def fill(store: FreeThrowStore) -> None:
    store.create_schema()
    with store.engine.begin() as conn:
        conn.execute(
            insert(tables.score_beater_predictions),
            [row(*values) for values in ROWS],
        )


@pytest.fixture
def filled(database_url: str):
    store = FreeThrowStore(database_url)
    fill(store)
    yield store
    store.dispose()


def keys(frame: pd.DataFrame) -> list[tuple]:
    return [(r.season, r.player, int(r.games_played), str(r.model_version)) for r in frame.itertuples()]


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (PredictionFilter(), [(A, "Ann", 0, "1"), (A, "Bob", 0, "1"), (A, "Ann", 5, "1"), (A, "Ann", 5, "2"),
                              (B, "Ann", 0, "2"), (B, "Bob", 0, "2"), (B, "Bob", 7, "2")]),
        (PredictionFilter(seasons=[2012], players=["Bob"]), [(B, "Bob", 0, "2"), (B, "Bob", 7, "2")]),
        (PredictionFilter(model_versions=["1"], players=["Ann"]), [(A, "Ann", 0, "1"), (A, "Ann", 5, "1")]),
        (PredictionFilter(latest=True), [(A, "Bob", 0, "1"), (A, "Ann", 5, "2"),
                                         (B, "Ann", 0, "2"), (B, "Bob", 7, "2")]),
        # latest among the chosen model's predictions
        (PredictionFilter(latest=True, model_versions=["1"]), [(A, "Bob", 0, "1"), (A, "Ann", 5, "1")]),
        (PredictionFilter(seasons=[2030]), []),
    ],
)  # fmt: skip
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_filters_choose_the_rows_in_every_format(
    filled: FreeThrowStore, tmp_path: Path, chosen: PredictionFilter, expected: list, suffix: str
) -> None:
    out = tmp_path / f"out{suffix}"
    assert export(filled.engine, chosen, out) == len(expected)
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, dtype={"model_version": str})
    assert list(frame.columns) == ["season", "player", "games_played", "probability", "model_version", "made_at"]
    assert keys(frame) == expected
    if expected:
        made_at = pd.to_datetime(frame["made_at"], utc=True)
        assert made_at.min() >= pd.Timestamp(T0)  # UTC on both backends, in both formats
        assert frame["probability"].between(0.1, 0.6).all()


def test_rows_are_read_in_batches_in_export_order(filled: FreeThrowStore) -> None:
    parts = list(batches(filled.engine, PredictionFilter(), size=3))
    assert [len(part) for part in parts] == [3, 3, 1]
    seasons_and_games = [(row[0], row[2]) for part in parts for row in part]
    assert seasons_and_games == sorted(seasons_and_games)


def test_the_command_filters_writes_parquet_and_refuses_what_it_cannot_do(platform_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    nothing = runner.invoke(cli, ["predictions", "score-beater", "-o", str(tmp_path / "p.csv")])
    assert nothing.exit_code == 1 and "error: no score_beater predictions stored yet" in nothing.output
    assert "materialize --select group:free_throws" in nothing.output
    fill(FreeThrowStore(f"sqlite:///{platform_home / 'store.db'}"))
    out = tmp_path / "deep" / "p.parquet"
    args = ["predictions", "score-beater", "-o", str(out), "--season", "2011-12", "--player", "Ann", "--latest"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 score_beater predictions written" in result.output
    assert keys(pd.read_parquet(out)) == [("2011 - 2012", "Ann", 5, "2")]
    wrong = runner.invoke(cli, ["predictions", "score-beater", "-o", str(tmp_path / "p.xlsx")])
    assert wrong.exit_code == 1 and ".parquet" in wrong.output and "Traceback" not in wrong.output
    bad_season = runner.invoke(cli, ["predictions", "score-beater", "-o", str(out), "--season", "last"])
    assert bad_season.exit_code == 2 and "start year" in bad_season.output


@given(st.integers(1000, 9999), st.sampled_from(["{y}", "{y}-{n:02d}", "{y} - {y1}", " {y} "]))
def test_a_season_is_read_in_every_spelling(year: int, form: str) -> None:
    text = form.format(y=year, y1=year + 1, n=(year + 1) % 100)
    assert SeasonType().convert(text, None, None) == year


@given(st.text(max_size=20))
def test_anything_else_is_refused_as_a_usage_error(text: str) -> None:
    try:
        SeasonType().convert(text, None, None)
    except click.BadParameter as error:
        assert "start year" in str(error)
