"""The one quarantine (core/ingest/quarantine.py): every domain's refused rows and the sync's refused games
in one table, listed per domain by `shot-platform quarantine`, text stored by one rule."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.core.ingest import quarantine
from shot_platform.core.ingest.storable import MAX_STORED_CHARS
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.ingest.events import ingest_free_throw_frame
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.shots.ingest.shots import ingest_shot_frame
from shot_platform.shots.store import ShotStore


def _rows(**values: object) -> pd.DataFrame:
    row = {"row_hash": "0" * 16, "source": "in.csv", "line": 2, "reason": "bad", "raw": "{}"} | values
    return pd.DataFrame([row])


def test_the_listing_shows_the_rows_and_games_of_one_domain_only(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 16: after a corrected result the sync said "1 quarantined" and the listing printed 0 rows."""
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHOT_PLATFORM_DATABASE_URL", database_url)
    store = FreeThrowStore(database_url)
    store.create_schema()
    shots = ShotStore(database_url)
    assert shots.quarantine(_rows(row_hash="1" * 16, source="shots.csv", line=7, reason="no GAME_ID")) == 1
    assert store.quarantine(_rows(line=52, reason="period 9 is out of range")) == 1
    with store.engine.begin() as conn:
        new = ledger.quarantine_game(
            conn, season=2012, game_id=1202, kind="corrected_result", reason="result changed", payload="{}"
        )
    assert new == 1

    free_throws = CliRunner().invoke(cli, ["quarantine", "--domain", "free-throws"])
    assert free_throws.exit_code == 0, free_throws.output
    assert free_throws.output.splitlines() == [
        "2 quarantined rows",
        "in.csv:52: period 9 is out of range",
        "sync: game 1202 of season 2012 (corrected_result): result changed",
    ]
    listed_shots = CliRunner().invoke(cli, ["quarantine", "--domain", "shots", "--limit", "5"])
    assert listed_shots.output.splitlines() == ["1 quarantined rows", "shots.csv:7: no GAME_ID"]
    # Each store's own view: its file rows; the ledger's: its games.
    assert store.load_quarantine()["line"].tolist() == [52]
    assert ledger.load_game_quarantine(store)["game_id"].tolist() == [1202]
    assert store.summary()["quarantined"] == 1 and shots.shot_summary()["quarantined"] == 1
    with store.engine.connect() as conn:
        assert ledger.held_back_games(conn) == {}  # a corrected game the ledger does not hold holds nothing back
    store.dispose()
    shots.engine.dispose()


def test_a_row_is_stored_by_the_same_rule_as_a_game(database_url: str) -> None:
    store = FreeThrowStore(database_url)
    store.create_schema()
    raw = "\x00" + "x" * (MAX_STORED_CHARS + 10)
    assert store.quarantine(_rows(raw=raw, reason="bad\ud800")) == 1
    assert store.quarantine(_rows(raw=raw, reason="bad\ud800")) == 0  # the same row is kept once
    stored = store.load_quarantine().iloc[0]
    assert len(stored["raw"]) == MAX_STORED_CHARS and stored["raw"].startswith("\ufffdx")
    assert stored["reason"] == (
        "bad\ufffd (payload stored altered: 1 NUL or non-UTF-8 characters replaced by U+FFFD; "
        "cut from 65,547 to 65,536 characters)"
    )
    store.dispose()


def test_both_domains_keep_their_rows_apart_under_the_same_hash(database_url: str) -> None:
    """The same row hash in two domains is two records: identity is (domain, kind, row_hash)."""
    store = FreeThrowStore(database_url)
    store.create_schema()
    shots = ShotStore(database_url)
    assert shots.quarantine(_rows()) == 1 and store.quarantine(_rows()) == 1
    with store.engine.connect() as conn:
        assert quarantine.count(conn, "shots") == quarantine.count(conn, "free_throws") == 1
    store.dispose()
    shots.engine.dispose()


def test_both_ingests_keep_a_refused_row_with_its_line_and_raw_values(database_url: str) -> None:
    store = FreeThrowStore(database_url)
    store.create_schema()
    shots = ShotStore(database_url)
    shot_report = ingest_shot_frame(shots, pd.DataFrame([{"GAME_ID": "x"}]), source="body")
    free_report = ingest_free_throw_frame(
        store, pd.DataFrame([dict.fromkeys(FREE_THROW_COLUMNS, "1") | {"game_id": "x"}]), source="body"
    )
    assert shot_report.quarantined == shot_report.quarantined_new == 1 and shot_report.rejected[0]["line"] == 1
    assert free_report.quarantined == free_report.quarantined_new == 1 and free_report.rejected[0]["line"] == 2
    assert json.loads(shots.load_quarantine().iloc[0]["raw"])["GAME_ID"] == "x"
    assert json.loads(store.load_quarantine().iloc[0]["raw"])["game_id"] == "x"
    store.dispose()
    shots.engine.dispose()
