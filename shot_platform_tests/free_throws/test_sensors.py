"""The game-by-game flow under Dagster: the Scores API sensor and the labels sensor with
``build_sensor_context`` on a real Dagster instance, against the real replay server process on
loopback, and their runs executed through the real jobs (sync engine, ground truth, retraining)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    RunRequest,
    SkipReason,
    build_sensor_context,
    instance_for_test,
)

from shot_platform.core.saved_model_store import SavedModelStore, open_saved_model_store
from shot_platform.free_throws.definitions import defs  # the domain's own graph and resources, alone
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterRetrainingResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.scores_api import ReplayClient
from shot_platform.free_throws.scores_api.process import free_port, replay_server
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.sensors import LABELS_TAG, free_throw_games_sensor, score_beater_labels_sensor
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.stand_in_scorers import PaceScorer

pytestmark = pytest.mark.slow  # a replay server process per test, and whole seasons synced through runs

FIRST = 2008  # three seasons: 2008-09 is history only, 2009-10 and 2010-11 are predicted


class PaceScorerResource(ScoreBeaterScorerResource):
    def get(self) -> PaceScorer:
        return PaceScorer()


def promote_stand_in(registry: SavedModelStore, tmp: Path, train_seasons: list[int], log_loss: float) -> str:
    """A registry version the sensors can see (its bytes are never loaded: the scorer is injected)."""
    directory = tmp / f"export-{len(registry.versions()) + 1}"
    directory.mkdir()
    (directory / "saved_model.pb").write_bytes(b"stand-in: the flow's scorer is injected in these tests")
    version = registry.save(directory, {"train_seasons": train_seasons, "metrics": {"log_loss": log_loss}})
    # Promotion loads a version with TensorFlow and refuses these bytes: the pointer is written as it would.
    registry.blobs.put("score_beater/champion.json", json.dumps({"version": version, "reason": "test"}).encode())
    return version


@dataclass
class Flow:
    store: FreeThrowStore
    registry: SavedModelStore
    instance: DagsterInstance
    url: str
    resources: dict
    games: pd.DataFrame  # every game of the file in release order: season, id, regular

    def games_sensor(self, cursor: str | None = None):
        context = build_sensor_context(instance=self.instance, cursor=cursor, resources=self.resources)
        return free_throw_games_sensor(context), context.cursor

    def labels_sensor(self, cursor: str | None = None):
        context = build_sensor_context(instance=self.instance, cursor=cursor, resources=self.resources)
        return score_beater_labels_sensor(context), context.cursor

    def execute(self, job_name: str, request: RunRequest):
        definitions = Definitions(
            assets=defs.assets,
            asset_checks=defs.asset_checks,
            jobs=[free_throw_games_job, retrain_score_beater_job],
            resources=self.resources,
        )
        result = definitions.resolve_job_def(job_name).execute_in_process(
            instance=self.instance, run_config=request.run_config, tags={**request.tags}
        )
        assert result.success
        return result

    def processed(self) -> pd.DataFrame:
        return self.store.load(ledger.processed_games)


@pytest.fixture(scope="module")
def free_throw_seasons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate_free_throws(
        seasons=3, first_season=FIRST, regular_games=30, playoff_games=1, short_seasons=(), seed=11
    )
    return write_free_throws(frame, tmp_path_factory.mktemp("flow_data") / "free_throws.csv.gz")


@pytest.fixture
def flow(free_throw_seasons: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flow]:
    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", "100")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = FreeThrowStore(url)
    store.create_schema()
    models = tmp_path / "models"
    registry = open_saved_model_store(str(models), None, "score_beater")
    promote_stand_in(registry, tmp_path, [FIRST - 2, FIRST - 1], log_loss=0.45)
    with replay_server(free_throw_seasons, release=0) as api, instance_for_test() as instance:
        client = ReplayClient(api)
        schedule = [game for season in client.seasons() for game in client.schedule(season.season)]
        games = pd.DataFrame({"season": [g.season for g in schedule], "id": [g.id for g in schedule]})
        resources = {
            "free_throw_store": FreeThrowStoreResource(database_url=url),
            "score_beater_models": ScoreBeaterModelsResource(location=str(models)),
            "score_beater_retraining": ScoreBeaterRetrainingResource(),
            "scores_api": ScoresApiResource(base_url=api, retries=1),
            "score_beater_scorer": PaceScorerResource(),
        }
        yield Flow(store, registry, instance, api, resources, games)
    store.dispose()


def advance(flow: Flow, games: int) -> None:
    ReplayClient(flow.url).advance(games)


def test_one_run_per_batch_of_new_games_and_none_twice(flow: Flow):
    result, cursor = flow.games_sensor()
    assert isinstance(result, SkipReason) and "no new final game" in result.skip_message

    advance(flow, 5)
    request, cursor = flow.games_sensor()
    fifth = int(flow.games["id"].iloc[4])
    assert isinstance(request, RunRequest)
    assert request.run_key == f"free-throws-through-{fifth}" and cursor == str(fifth)
    assert request.run_config["ops"]["free_throw_games"]["config"]["max_games"] == 5

    # The run is requested but has not processed the games: no second run for them.
    again, cursor_again = flow.games_sensor(cursor)
    assert isinstance(again, SkipReason) and f"through game {fifth} was requested" in again.skip_message
    assert cursor_again == cursor

    run = flow.execute("sync_free_throw_games", request)
    del run
    assert list(flow.processed()["game_id"]) == list(flow.games["id"].iloc[:5])
    nothing, _ = flow.games_sensor(cursor)
    assert isinstance(nothing, SkipReason) and "no new final game" in nothing.skip_message

    advance(flow, 3)
    second, cursor = flow.games_sensor(cursor)
    eighth = int(flow.games["id"].iloc[7])
    assert isinstance(second, RunRequest) and second.run_key == f"free-throws-through-{eighth}"
    assert second.run_config["ops"]["free_throw_games"]["config"]["max_games"] == 3
    flow.execute("sync_free_throw_games", second)
    assert list(flow.processed()["game_id"]) == list(flow.games["id"].iloc[:8])  # in order, none twice


def test_a_run_stops_at_the_end_of_a_season(flow: Flow):
    first_season = int((flow.games["season"] == FIRST).sum())
    advance(flow, first_season + 4)  # all of 2008-09 and the first games of 2009-10
    request, cursor = flow.games_sensor()
    assert isinstance(request, RunRequest)
    assert request.run_config["ops"]["free_throw_games"]["config"]["max_games"] == first_season
    assert request.tags["shot_platform/season"] == str(FIRST)
    flow.execute("sync_free_throw_games", request)
    request, cursor = flow.games_sensor(cursor)
    assert isinstance(request, RunRequest) and request.tags["shot_platform/season"] == str(FIRST + 1)
    flow.execute("sync_free_throw_games", request)
    # The first run of a season with a previous one wrote every preseason prediction first.
    predictions = flow.store.load_predictions()
    preseason = predictions[(predictions["season"] == FIRST + 1) & (predictions["games_played"] == 0)]
    population = flow.store.load(tables.free_throw_player_features)
    population = population[(population["season"] == FIRST + 1) & (population["games_played"] == 0)]
    assert len(preseason) == len(population) > 0
    assert set(predictions.loc[predictions["season"] == FIRST + 1, "games_played"]) == set(range(0, 5))


def test_skip_reasons_when_the_api_cannot_be_used(flow: Flow, monkeypatch: pytest.MonkeyPatch):
    down = {**flow.resources, "scores_api": ScoresApiResource(base_url=f"http://127.0.0.1:{free_port()}", retries=0)}
    context = build_sensor_context(instance=flow.instance, resources=down)
    result = free_throw_games_sensor(context)
    assert isinstance(result, SkipReason) and "unreachable" in result.skip_message and context.cursor is None

    monkeypatch.delenv("SHOT_PLATFORM_SCORES_API_URL", raising=False)
    unset = {**flow.resources, "scores_api": ScoresApiResource(base_url="")}
    result = free_throw_games_sensor(build_sensor_context(instance=flow.instance, resources=unset))
    assert isinstance(result, SkipReason) and "no Scores API configured" in result.skip_message
    assert "SHOT_PLATFORM_SCORES_API_URL" in result.skip_message


def test_no_run_without_a_model(flow: Flow, tmp_path: Path):
    advance(flow, 2)
    empty = {**flow.resources, "score_beater_models": ScoreBeaterModelsResource(location=str(tmp_path / "no_models"))}
    result = free_throw_games_sensor(build_sensor_context(instance=flow.instance, resources=empty))
    assert isinstance(result, SkipReason) and "no score_beater model yet" in result.skip_message


def run_seasons(flow: Flow, seasons: int) -> str | None:
    """Release and sync the first ``seasons`` seasons through sensor-requested runs; returns the cursor."""
    games = int(flow.games["season"].isin(range(FIRST, FIRST + seasons)).sum())
    advance(flow, games)
    cursor = None
    for _ in range(seasons):
        request, cursor = flow.games_sensor(cursor)
        assert isinstance(request, RunRequest), request
        flow.execute("sync_free_throw_games", request)
    return cursor


def test_labels_sensor_requests_retraining_at_the_threshold_and_not_below(flow: Flow, monkeypatch: pytest.MonkeyPatch):
    cursor = run_seasons(flow, 2)  # 2009-10 complete: its labels are known
    labels = flow.store.load(tables.free_throw_labels)
    complete = int((labels["season"] == FIRST + 1).sum())
    assert complete > 0 and labels["season"].max() == FIRST + 1

    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", str(complete + 1))
    below, _ = flow.labels_sensor()
    assert isinstance(below, SkipReason)
    assert f"{complete} new labelled player-seasons since {season_short(FIRST - 1)}" in below.skip_message
    assert f"retraining starts at {complete + 1}" in below.skip_message

    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", str(complete))
    request, labels_cursor = flow.labels_sensor()
    assert isinstance(request, RunRequest)
    assert request.run_key == f"score-beater-labels-after-{FIRST - 1}-through-{FIRST + 1}"
    assert request.run_config["ops"]["score_beater"]["config"]["judge_season"] == FIRST + 1
    again, _ = flow.labels_sensor(labels_cursor)  # the same labels never launch a second run
    assert isinstance(again, SkipReason) and "already requested" in again.skip_message

    # The next season waits for that retraining, so its preseason predictions use its outcome.
    advance(flow, 3)
    waiting, _ = flow.games_sensor(cursor)
    assert isinstance(waiting, SkipReason) and "waiting for score_beater retraining" in waiting.skip_message
    assert not (flow.store.load_predictions()["season"] == FIRST + 2).any()

    run = flow.execute("retrain_score_beater", request)
    assert run.dagster_run.tags[LABELS_TAG] == request.run_key
    decision = {
        key: value.value
        for event in run.get_asset_materialization_events()
        if event.asset_key.to_user_string() == "score_beater"
        for key, value in event.materialization.metadata.items()
    }
    assert decision["judge_season"] == FIRST + 1 and decision["new_labelled_player_seasons"] == complete
    assert decision["promoted"] is False and decision["champion"] == "1"
    request, _ = flow.games_sensor(cursor)
    assert isinstance(request, RunRequest) and request.tags["shot_platform/season"] == str(FIRST + 2)


def test_the_sync_run_reports_the_engine_and_the_ground_truth(flow: Flow, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", "100000")  # no retraining between the seasons
    run_seasons(flow, 2)
    advance(flow, 12)  # 2010-11 partly played
    request, _ = flow.games_sensor(str(flow.processed()["game_id"].iloc[-1]))
    run = flow.execute("sync_free_throw_games", request)
    metadata = {
        event.asset_key.to_user_string(): {key: value.value for key, value in event.materialization.metadata.items()}
        for event in run.get_asset_materialization_events()
    }
    games = metadata["free_throw_games"]
    assert games["games_processed"] == 12 and games["model_version"] == "1" and games["predictions_computed"] > 0
    truth = metadata["score_beater_ground_truth"]
    assert "2010-11 (partial: " in truth["partial_seasons"]
    assert truth["labels_known"] == len(flow.store.load(tables.free_throw_labels))
    assert "2009-10" in truth["metrics_by_season"] and "data:image/png;base64," in truth["calibration"]
    checks = {check.check_name: check.passed for check in run.get_asset_check_evaluations()}
    assert checks["labels_complete"] is True and "live_log_loss_near_test" in checks


def test_a_corrected_result_gets_a_run_of_its_own_and_is_quarantined_once(flow: Flow):
    advance(flow, 6)
    request, cursor = flow.games_sensor()
    flow.execute("sync_free_throw_games", request)
    nothing, _ = flow.games_sensor(cursor)
    assert isinstance(nothing, SkipReason) and "no new final game" in nothing.skip_message

    corrected = ReplayClient(flow.url).correct(int(flow.games["id"].iloc[2]))  # the provider fixes game 3
    request, cursor_after = flow.games_sensor(cursor)
    assert isinstance(request, RunRequest) and cursor_after == cursor  # no new game: the cursor stays
    assert request.run_key == f"free-throws-corrections-through-{corrected.updated_at.isoformat()}"
    assert request.run_config["ops"]["free_throw_games"]["config"]["max_games"] == 0
    run = flow.execute("sync_free_throw_games", request)
    games = next(
        event.materialization.metadata
        for event in run.get_asset_materialization_events()
        if event.asset_key.to_user_string() == "free_throw_games"
    )
    assert (
        games["games_processed"].value == 0
        and f"game {corrected.id}: result changed" in games["corrected_results"].value
    )
    quarantine = ledger.load_game_quarantine(flow.store)
    assert quarantine[["game_id", "kind"]].values.tolist() == [[corrected.id, "corrected_result"]]
    done, _ = flow.games_sensor(cursor)  # reported: nothing left to check, no second run
    assert isinstance(done, SkipReason) and "no new final game" in done.skip_message
