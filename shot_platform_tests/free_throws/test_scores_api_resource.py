"""The Scores API Dagster resources in real runs (instance_for_test) against the replay server process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import requests
from dagster import DagsterInstance, asset, instance_for_test, materialize

from shot_platform.free_throws.scores_api.client import KEY_ENV, URL_ENV
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.scores_api.resource import (
    ReplayScoresApiResource,
    ScoresApiResource,
    scores_api_from_env,
)
from shot_platform_tests.scores_api_support import expected_games, free_throw_rows, write_free_throws

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return free_throw_rows(regular=10, playoffs=2)


@pytest.fixture(scope="module")
def data_file(rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_free_throws(rows, tmp_path_factory.mktemp("resource") / "free_throws.csv")


@pytest.fixture(scope="module")
def instance() -> DagsterInstance:
    """One test instance for the module: each run is independent, and an instance takes ~3 s to set up."""
    with instance_for_test() as test_instance:
        yield test_instance


@asset
def final_games(scores_api: ScoresApiResource) -> list[int]:
    with scores_api.get_client() as client:
        return [game.id for game in client.final_games_after(None)]


@asset
def replayed(scores_api: ReplayScoresApiResource) -> dict:
    with scores_api.get_client() as client:
        released = [game.id for game in client.advance(3)]
        box = client.box_score(released[0])
        return {"url": client.base_url, "released": released, "players": len(box.players)}


def test_live_resource_reads_url_and_key_from_the_environment(
    data_file: Path, rows: pd.DataFrame, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = expected_games(rows).id.tolist()
    with replay_server(data_file, release=5, api_key="k-9") as url:
        monkeypatch.setenv(URL_ENV, url)
        monkeypatch.setenv(KEY_ENV, "k-9")
        resource = scores_api_from_env()
        result = materialize([final_games], resources={"scores_api": resource}, instance=instance)
        assert result.success
        assert result.output_for_node("final_games") == ids[:5]

        monkeypatch.setenv(KEY_ENV, "wrong")  # EnvVar is read when the run starts, not when defined
        failed = materialize([final_games], resources={"scores_api": resource}, instance=instance, raise_on_error=False)
        assert not failed.success
        (failure,) = [event for event in failed.all_events if event.is_step_failure]
        assert "set SHOT_PLATFORM_SCORES_API_KEY" in failure.step_failure_data.error.cause.message


def test_live_resource_without_the_url_fails_naming_the_variable(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    resource = scores_api_from_env()  # defining it needs no variable (the code location loads)
    with pytest.raises(Exception, match=URL_ENV):
        materialize([final_games], resources={"scores_api": resource}, instance=instance)


def test_replay_resource_starts_and_stops_its_own_server(
    data_file: Path, rows: pd.DataFrame, instance: DagsterInstance
) -> None:
    ids = expected_games(rows).id.tolist()
    resource = ReplayScoresApiResource(data_path=str(data_file), release="2")
    result = materialize([replayed], resources={"scores_api": resource}, instance=instance)
    assert result.success
    output = result.output_for_node("replayed")
    assert output["released"] == ids[2:5]
    assert output["players"] > 0
    with pytest.raises(requests.ConnectionError):  # torn down with the run
        requests.get(f"{output['url']}/livez", timeout=2)


def test_replay_resource_points_at_a_running_server(data_file: Path, instance: DagsterInstance) -> None:
    with replay_server(data_file, release=0) as url:
        resource = ReplayScoresApiResource(base_url=url)
        assert materialize([replayed], resources={"scores_api": resource}, instance=instance).success
        assert materialize([replayed], resources={"scores_api": resource}, instance=instance).success
        assert requests.get(f"{url}/replay/status", timeout=5).json()["data"]["final_games"] == 6  # state kept
