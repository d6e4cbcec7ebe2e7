"""A game result that changes after the sync processed it, against the real replay server process on
loopback (``POST /replay/correct`` is the provider's correction): it is noticed through the API's
``updated_at``, quarantined with a reason naming the change and reported, once; no count, feature,
label, prediction or stored play changes; the flow goes on; a correction undone reports nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.corrections import KIND
from shot_platform.free_throws.flow.sync import SyncReport, sync_free_throws
from shot_platform.free_throws.scores_api import ReplayClient, ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.stand_in_scorers import LinearScorer

FLOW_TABLES = (
    tables.free_throw_player_games,
    tables.free_throw_player_features,
    tables.free_throw_labels,
    tables.free_throw_schedule,
)


@pytest.fixture(scope="module")
def seasons_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate_free_throws(seasons=2, first_season=2012, regular_games=40, playoff_games=3, seed=31)
    return write_free_throws(frame, tmp_path_factory.mktemp("corrections") / "ft.csv.gz")


def _flow_state(store: FreeThrowStore) -> dict[str, pd.DataFrame]:
    """What the corrections must leave alone: counts, features, labels, schedule, predictions, plays."""
    state = {table.name: store.load(table) for table in FLOW_TABLES}
    state["predictions"] = store.load_predictions()
    state["events"] = store.load_events()
    return state


def _assert_unchanged(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def _sync(store: FreeThrowStore, url: str) -> SyncReport:
    return sync_free_throws(store, None, ScoresApiClient(url), scorer=LinearScorer(), retrain=False)


def _shooter_line(client: ReplayClient, game_id: int) -> tuple[str, int, int]:
    box = client.box_score(game_id)
    line = next(line for line in box.players if line.free_throws_attempted)
    return line.player, line.free_throws_made, line.free_throws_attempted


def test_a_result_corrected_after_processing_is_quarantined_reported_and_never_counted(
    database_url: str, seasons_file: Path
) -> None:
    store = FreeThrowStore(database_url)
    store.create_schema()
    with replay_server(seasons_file, release=0) as url:
        client = ReplayClient(url)
        first_season = client.schedule(2012)
        client.advance(len(first_season) + 20)  # 2012-13, and 20 games of 2013-14 (predicted)
        report = _sync(store, url)
        assert report.corrections == [] and report.quarantined == 0

        processed = store.load(ledger.processed_games)
        assert processed["updated_at"].notna().all()  # the provider's stamps, kept with each game
        target = int(processed.loc[(processed["season"] == 2013) & processed["game_number"].eq(5), "game_id"].iloc[0])
        player, made, attempted = _shooter_line(client, target)
        before = _flow_state(store)
        hashed = processed.set_index("game_id").loc[target, "box_hash"]

        corrected = client.correct(target, player)
        changed_made = _shooter_line(client, target)[1]
        assert changed_made == made + (1 if changed_made > made else -1)
        assert corrected.updated_at > processed.set_index("game_id").loc[target].pipe(
            lambda r: pd.Timestamp(r["updated_at"])
        )

        # The next sync (no new game) notices the change, quarantines it with what changed, reports it.
        report = _sync(store, url)
        assert report.games_processed == 0 and report.problems == []
        assert len(report.corrections) == 1 and report.quarantined == 1
        assert f"game {target}: result changed after it was processed" in report.corrections[0]
        quarantine = ledger.load_game_quarantine(store)
        assert quarantine["kind"].tolist() == [KIND] and int(quarantine["game_id"].iloc[0]) == target
        assert (
            f"{player} made/attempted {made}/{attempted} -> {changed_made}/{attempted}" in quarantine["reason"].iloc[0]
        )
        assert "results changed after they were processed" in report.summary()
        _assert_unchanged(before, _flow_state(store))  # nothing the game fed was touched
        row = store.load(ledger.processed_games).set_index("game_id").loc[target]
        assert row["box_hash"] == hashed and row["status"] == ledger.PROCESSED  # the result as processed

        # Reported once: the same correction is not reported again.
        again = _sync(store, url)
        assert again.corrections == [] and again.quarantined == 0
        assert len(ledger.load_game_quarantine(store)) == 1

        # The flow goes on: the rest of the season is processed as usual, the corrected game still
        # counted as first published.
        client.advance(10_000)
        rest = _sync(store, url)
        assert rest.games_processed > 0 and rest.corrections == []
        games = store.load(tables.free_throw_player_games).set_index(["game_id", "player"])
        assert int(games.loc[(target, player), "made"]) == made

        # The provider undoes the correction: the result equals what was processed, nothing is reported.
        client.correct(target, player)
        undone = _sync(store, url)
        assert undone.corrections == [] and undone.quarantined == 0 and len(ledger.load_game_quarantine(store)) == 1
        # ... and corrected once more, it is reported again (another change to look at).
        client.correct(target, player)
        assert len(_sync(store, url).corrections) == 1
    store.dispose()


def test_a_correction_before_processing_is_simply_the_result(tmp_path: Path, seasons_file: Path) -> None:
    """A final game corrected before the sync reached it is processed with its corrected result."""
    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    with replay_server(seasons_file, release="all") as url:
        client = ReplayClient(url)
        games = [game for game in client.schedule(2012) if not game.postseason and not game.all_star]
        sync_free_throws(store, None, ScoresApiClient(url), scorer=LinearScorer(), max_games=5, retrain=False)
        target = games[10].id  # final, not processed yet
        player, made, _ = _shooter_line(client, target)
        client.correct(target, player)
        corrected_made = _shooter_line(client, target)[1]
        report = _sync(store, url)
    assert report.corrections == [] and report.quarantined == 0
    counts = store.load(tables.free_throw_player_games).set_index(["game_id", "player"])
    assert int(counts.loc[(target, player), "made"]) == corrected_made != made
    store.dispose()


def test_a_provider_without_updated_at_is_not_checked(tmp_path: Path) -> None:
    """No stamps on the games (balldontlie has none): nothing to compare, the check says why and the
    sync succeeds."""
    from shot_platform.free_throws.flow.corrections import check_corrections

    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    ledger.ensure_schema(store)
    with store.engine.begin() as conn:
        ledger.record_game(conn, season=2012, game_id=1, postseason=False, game_number=1,
                           status=ledger.PROCESSED, box_hash="x", attempts=0)  # fmt: skip
    outcome = check_corrections(store, ScoresApiClient("http://127.0.0.1:9"))  # never asked
    assert outcome.skipped.startswith("the Scores API gives no updated_at") and outcome.problem == ""
    store.dispose()


def test_a_ledger_from_before_updated_at_gets_the_column(database_url: str) -> None:
    """A store whose ledger was created before ``updated_at`` existed is upgraded in place; its games
    keep their rows (``updated_at`` null: compared by hash at the first corrections check)."""
    from sqlalchemy import MetaData, Table, inspect

    old = MetaData()
    columns = [column.copy() for column in ledger.processed_games.columns if column.name != "updated_at"]
    Table(ledger.processed_games.name, old, *columns)
    store = FreeThrowStore(database_url)
    old.create_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(old.tables[ledger.processed_games.name].insert().values(
            season=2012, game_id=7, postseason=False, game_number=1, status=ledger.PROCESSED, box_hash="h",
            attempts=3, processed_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    ledger.ensure_schema(store)
    ledger.ensure_schema(store)  # again: nothing to do
    assert "updated_at" in {c["name"] for c in inspect(store.engine).get_columns(ledger.processed_games.name)}
    rows = store.load(ledger.processed_games)
    assert rows["game_id"].tolist() == [7] and rows["updated_at"].isna().all()
    store.dispose()
