"""Retraining on the production stack: store and Dagster instance on PostgreSQL, models in S3
(moto server on loopback), the service as a process. Sensor threshold, champion/challenger gate,
hot swap after promotion, rollback, POST /shots, and failure behaviour."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import requests
from click.testing import CliRunner
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sqlalchemy import create_engine, text

from shot_platform.cli import cli
from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.scratch import temporary_database
from shot_platform.core.settings import Settings
from shot_platform.core.split import time_split
from shot_platform.definitions import defs
from shot_platform.free_throws import definitions as free_throws_definitions
from shot_platform.shots import definitions as shots_definitions
from shot_platform.shots.features.frame import FEATURE_COLUMNS, build_features
from shot_platform.shots.ingest.shots import ingest_shot_file
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.registry import open_shot_models
from shot_platform.shots.models.training import new_version
from shot_platform.shots.sensors import retrain_on_new_shots
from shot_platform.shots.store import ShotStore
from shot_platform.shots.synthetic import generate_shots, write_shots
from shot_platform_tests.s3_server import CREDENTIALS, s3_server
from shot_platform_tests.service_process import BIN, metric_samples, running_service, shot_readiness, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # a PostgreSQL stack, S3 server and service process
ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-api-key-123"
GRAPH = [*defs.assets, *defs.asset_checks]
SHOT = {
    "SHOT_DIST": 12.5, "CLOSE_DEF_DIST": 3.1, "SHOT_CLOCK": 10.0, "DRIBBLES": 2, "TOUCH_TIME": 2.1, "PERIOD": 1,
    "GAME_CLOCK": "5:12", "PTS_TYPE": 2, "LOCATION": "H", "player_id": 201289, "CLOSEST_DEFENDER_PLAYER_ID": 202667,
}  # fmt: skip


class Stack:
    """Settings, store, model store, Dagster instance and service of one production-like stack."""

    def __init__(self, env: dict[str, str], instance: DagsterInstance, service_url: str, later: pd.DataFrame):
        self.env, self.instance, self.url, self.later = env, instance, service_url, later
        self.settings = Settings.from_env()
        self.store = ShotStore(self.settings.database_url)
        # Built now, from this stack's environment (the code location's were built at import).
        self.resources = {**shots_definitions.resources(), **free_throws_definitions.resources()}
        self.models = open_shot_models(self.settings)

    def materialize(self, selection: list[str] | None = None, window: int | None = None, **kwargs):
        run_config = {"ops": {"shot_model": {"config": {"train_window_dates": window}}}} if window else None
        return materialize(
            GRAPH,
            resources=self.resources,
            instance=self.instance,
            selection=selection,
            run_config=run_config,
            **kwargs,
        )

    def sensor(self, cursor: str | None = None):
        context = build_sensor_context(instance=self.instance, cursor=cursor, resources=self.resources)
        return retrain_on_new_shots(context), context.cursor

    def served_version(self) -> str | None:
        """The version that answers /predict now (None while no model is loaded: a 503)."""
        return requests.post(f"{self.url}/predict", json=SHOT, timeout=30).json().get("model_version")


@pytest.fixture(scope="module")
def stack(postgres_server: str, synthetic_file: Path, synthetic_shots, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("stack")
    dagster_home = tmp / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")  # the shipped production config
    with (
        temporary_database(postgres_server) as store_url,
        temporary_database(postgres_server) as dagster_url,
        s3_server("shot-models") as s3_url,
        pytest.MonkeyPatch.context() as patch,
    ):
        env = {
            **CREDENTIALS,
            "SHOT_PLATFORM_HOME": str(tmp / "home"),
            "SHOT_PLATFORM_DATABASE_URL": store_url,
            "SHOT_PLATFORM_MODEL_STORE": "s3://shot-models/shot_platform",
            "SHOT_PLATFORM_S3_ENDPOINT_URL": s3_url,
            "SHOT_PLATFORM_API_KEY": API_KEY,
            "SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.3",
            "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": "5432",
            "DAGSTER_PG_USER": "postgres",
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": dagster_url.rsplit("/", 1)[1],
        }
        for key, value in env.items():
            patch.setenv(key, value)
        ShotStore(store_url).create_schema()
        ingest_shot_file(ShotStore(store_url), synthetic_file)
        later = generate_shots(games=75, seed=7).iloc[len(synthetic_shots) :]
        command = [str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"]
        with (
            DagsterInstance.from_config(str(dagster_home)) as instance,
            running_service(command, env, tmp / "service.log") as url,
        ):
            yield Stack(env, instance, url, later)


def test_instance_and_store_run_on_postgres_and_models_on_s3(stack: Stack):
    assert type(stack.instance.run_storage).__name__ == "PostgresRunStorage"
    assert stack.store.engine.dialect.name == "postgresql"
    assert stack.models.blobs.describe() == "s3://shot-models/shot_platform"


def promote_constructed_champion(stack: Stack, estimator, labels, before: str | None = None) -> str:
    """Fit ``estimator`` on the stored shots (those dated before ``before``, if given) with ``labels``,
    record its training dates and newest shot honestly, save it and make it the champion the service
    serves. It records no ``training_input`` (it was not trained by the pipeline from the asset's
    input), so a materialisation always trains a challenger against it."""
    shots = stack.store.load_shots()
    if before is not None:
        shots = shots[shots["game_date"] < pd.Timestamp(before)].reset_index(drop=True)
    features = build_features(shots, stack.store.load_player_history())
    estimator.fit(features.to_numpy(), labels(shots))
    model = ShotModel(estimator, tuple(FEATURE_COLUMNS), new_version(salt=f"constructed{id(estimator)}"))
    model.metadata = {
        "version": model.version,
        "trained_through_shot_id": int(shots["id"].max()),  # the newest shot it was fitted on
        "train_dates": [str(shots["game_date"].min().date()), str(shots["game_date"].max().date())],
        "metrics": {},
    }
    stack.models.save(model)
    stack.models.promote(model.version, "test: constructed champion")
    wait_for(lambda: stack.served_version() == model.version)
    return model.version


def quick_champion(stack: Stack) -> str:
    """A fresh champion for tests that need one, whatever ran before them."""
    return promote_constructed_champion(
        stack, make_pipeline(StandardScaler(), LogisticRegression()), lambda shots: shots["FGM"].to_numpy()
    )


def challenger_test_start(stack: Stack) -> str:
    """The first of the test dates a challenger trained on the stored shots now will have (the same split)."""
    return time_split(stack.store.load_shots()["game_date"]).dates["test"][0]


def shot_model_metadata(result) -> dict:
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "shot_model")
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_first_model_weak_window_is_promoted_and_served(stack: Stack):
    stack.models.blobs.put("shot_model/champion.json", b"")  # no usable champion, whatever ran before
    result = stack.materialize(
        window=8
    )  # 8 of the 9-10 dates: a window, and enough games to beat the base rate in any test order
    assert result.success
    metadata = shot_model_metadata(result)
    assert metadata["promoted"] is True and "no usable champion" in metadata["promotion_reason"]
    champion = stack.models.champion_version()
    assert champion == metadata["version"]
    assert stack.models.metadata(champion)["train_dates"][0] > "2014-10-28"  # the window was applied
    wait_for(lambda: requests.get(f"{stack.url}/readyz", timeout=5).status_code == 200)
    wait_for(lambda: stack.served_version() == champion)


def test_sensor_skips_at_99_new_shots_and_requests_one_run_at_100(stack: Stack):
    champion = quick_champion(stack)
    watermark = stack.models.metadata(champion)["trained_through_shot_id"]
    assert watermark == stack.store.shot_summary()["max_id"]

    result, cursor = stack.sensor()
    assert isinstance(result, SkipReason) and result.skip_message.startswith("0 new labelled shots")

    path = write_shots(stack.later.iloc[:99], Path(stack.env["SHOT_PLATFORM_HOME"]) / "later99.csv")
    assert ingest_shot_file(stack.store, path).inserted == 99
    result, cursor = stack.sensor()
    assert isinstance(result, SkipReason)
    assert result.skip_message.startswith("99 new labelled shots") and "starts at 100" in result.skip_message

    path = write_shots(stack.later.iloc[99:100], Path(stack.env["SHOT_PLATFORM_HOME"]) / "later1.csv")
    assert ingest_shot_file(stack.store, path).inserted == 1
    result, cursor = stack.sensor()
    assert isinstance(result, RunRequest)
    latest = stack.store.shot_summary()["max_id"]
    assert result.run_key == f"shots-through-{latest}" and cursor == str(latest)
    assert result.tags["shot_platform/new_shots"] == "100"

    again, same_cursor = stack.sensor(cursor)
    assert isinstance(again, SkipReason) and same_cursor == cursor  # not twice for the same rows
    # A tick that lost its cursor asks again, but with the same run key, which Dagster deduplicates.
    replay, _ = stack.sensor(None)
    assert isinstance(replay, RunRequest) and replay.run_key == result.run_key


def test_better_challenger_is_promoted_and_the_running_service_switches(stack: Stack):
    stale = promote_constructed_champion(  # a champion that learned the outcomes backwards
        stack,
        make_pipeline(StandardScaler(), LogisticRegression()),
        lambda shots: 1 - shots["FGM"].to_numpy(),
        before=challenger_test_start(stack),  # so every test game of the challenger can judge them
    )
    result = stack.materialize()  # what the sensor's run does: the whole `shots` group
    assert result.success
    metadata = shot_model_metadata(result)
    assert metadata["promoted"] is True, metadata["promotion_reason"]
    assert metadata["challenger_log_loss"] <= metadata["champion_log_loss_same_games"]
    new = stack.models.champion_version()
    assert new == metadata["version"] != stale
    assert stack.models.champion()["previous"] == stale
    wait_for(lambda: stack.served_version() == new)


def overfit_model() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=300, max_leaf_nodes=63, min_samples_leaf=5, early_stopping=False)


def test_an_overfit_champion_is_replaced_once_judged_on_games_it_never_saw(stack: Stack):
    # Trained on every game before the challenger's test window (the case of games it did see,
    # part of that window, is test_gate.py's): judged on the whole window, it loses.
    start = challenger_test_start(stack)
    overfit = promote_constructed_champion(stack, overfit_model(), lambda shots: shots["FGM"].to_numpy(), before=start)
    result = stack.materialize(selection=["shot_model"])
    assert result.success
    metadata = shot_model_metadata(result)
    assert metadata["promoted"] is True, metadata["promotion_reason"]
    assert metadata["judged_after"] < start and metadata["judged_rows"] > 0
    assert metadata["challenger_log_loss"] < metadata["champion_log_loss_same_games"]
    assert overfit in metadata["promotion_reason"] and "after both training windows" in metadata["promotion_reason"]
    wait_for(lambda: stack.served_version() == metadata["version"])


def test_a_champion_trained_on_every_stored_game_is_kept_and_the_reason_says_why(stack: Stack):
    # It has seen the challenger's test games: no game can judge the two fairly, so nothing changes.
    overfit = promote_constructed_champion(stack, overfit_model(), lambda shots: shots["FGM"].to_numpy())
    result = stack.materialize(selection=["shot_model"])
    assert result.success
    metadata = shot_model_metadata(result)
    assert metadata["promoted"] is False and metadata["judged_rows"] == 0
    assert "no game unseen by both models" in metadata["promotion_reason"]
    assert stack.models.champion_version() == overfit
    kept = stack.models.metadata(metadata["version"])
    assert kept["promotion"]["promoted"] is False
    assert stack.served_version() == overfit


def test_rollback_moves_the_pointer_and_the_service_follows(stack: Stack):
    previous = quick_champion(stack)
    champion = quick_champion(stack)
    assert stack.models.champion()["previous"] == previous
    listed = CliRunner().invoke(cli, ["models", "list"])
    assert listed.exit_code == 0 and f"* {champion}" in listed.output
    rolled = CliRunner().invoke(cli, ["models", "promote", previous, "--reason", "rollback"])
    assert rolled.exit_code == 0, rolled.output
    assert stack.models.champion_version() == previous
    wait_for(lambda: stack.served_version() == previous)
    back = CliRunner().invoke(cli, ["models", "promote", champion])
    assert back.exit_code == 0
    wait_for(lambda: stack.served_version() == champion)


def test_failed_training_and_partial_versions_leave_the_champion_serving(stack: Stack):
    champion = quick_champion(stack)
    versions = stack.models.versions()
    failed = stack.materialize(selection=["shot_model"], window=2, raise_on_error=False)  # 2 dates cannot be split
    assert not failed.success
    assert stack.models.champion_version() == champion and stack.models.versions() == versions

    stack.models.blobs.put("shot_model/versions/20990101T000000-partial/model.joblib", b"half an upload")
    assert "20990101T000000-partial" not in stack.models.versions()
    with pytest.raises(ModelNotFoundError):
        stack.models.promote("20990101T000000-partial", "should not happen")
    refused = CliRunner().invoke(cli, ["models", "promote", "20990101T000000-partial"])
    assert refused.exit_code == 1 and "no complete version" in refused.output
    assert stack.served_version() == champion


def test_a_damaged_pointer_on_s3_keeps_the_service_on_its_model_and_says_so(stack: Stack):
    champion = quick_champion(stack)
    stack.models.blobs.put("shot_model/champion.json", b'{"reason": "hand edit"}')

    def diverged() -> dict | None:
        status, shot_model = shot_readiness(stack.url)
        return shot_model if status == 200 and shot_model["diverged"] else None

    detail = wait_for(diverged)
    assert detail["served_version"] == champion and detail["registry_champion"] is None
    assert "has no 'version'" in detail["last_error"]
    assert stack.served_version() == champion
    assert [value for _, value in metric_samples(stack.url, "shot_model_divergence")] == [1.0]

    repaired = CliRunner().invoke(cli, ["models", "promote", champion, "--reason", "repair"])
    assert repaired.exit_code == 0 and "repaired the pointer" in repaired.output
    wait_for(lambda: not shot_readiness(stack.url)[1]["diverged"])


def test_post_shots_needs_the_key_and_quarantines_bad_rows(stack: Stack):
    rows = stack.later.iloc[100:104].copy()
    rows.iloc[3, rows.columns.get_loc("SHOT_DIST")] = -1.0
    body = rows.astype(object).where(rows.notna(), None).to_dict("records")
    url = f"{stack.url}/shots"
    assert requests.post(url, json=body, timeout=30).status_code == 401
    assert requests.post(url, json=body, headers={"X-API-Key": "wrong"}, timeout=30).status_code == 401
    before = stack.store.shot_summary()["rows"]

    answer = requests.post(url, json=body, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["inserted"], report["quarantined"]) == (3, 1)
    assert "SHOT_DIST must be a finite number" in report["quarantine_reasons"][0]["reason"]
    assert stack.store.shot_summary()["rows"] == before + 3

    again = requests.post(url, json=body, headers={"X-API-Key": API_KEY}, timeout=30).json()
    assert (again["inserted"], again["duplicates"], again["quarantined"]) == (0, 3, 1)
    assert "SHOT_DIST must be a finite number" in again["quarantine_reasons"][0]["reason"]  # reported again


def test_post_shots_keeps_the_good_rows_of_a_body_with_one_bad_row(stack: Stack):
    rows = stack.later.iloc[-50:].copy()
    rows.iloc[7, rows.columns.get_loc("player_name")] = "Nul\x00Byte"  # PostgreSQL text cannot hold NUL
    body = rows.astype(object).where(rows.notna(), None).to_dict("records")
    body[11]["SHOT_NUMBER"] = 2**31  # beyond the INTEGER column
    body[12]["unknown_field"] = "ignored"
    headers = {"X-API-Key": API_KEY}
    before = stack.store.shot_summary()["rows"]

    answer = requests.post(f"{stack.url}/shots", json=body, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["inserted"], report["quarantined"], report["conflicts"]) == (48, 2, 0)
    assert [r["line"] for r in report["quarantine_reasons"]] == [8, 12]  # positions in the body, from 1
    assert "player_name must be empty or text" in report["quarantine_reasons"][0]["reason"]
    assert "SHOT_NUMBER must be a whole number within 1..200" in report["quarantine_reasons"][1]["reason"]
    assert stack.store.shot_summary()["rows"] == before + 48

    empty = requests.post(f"{stack.url}/shots", json=[{}], headers=headers, timeout=30)
    assert empty.status_code == 200, empty.text
    assert empty.json()["quarantined"] == 1
    assert empty.json()["quarantine_reasons"][0]["reason"].startswith("GAME_ID is missing")
    not_rows = requests.post(f"{stack.url}/shots", json=[1, 2], headers=headers, timeout=30)
    assert not_rows.status_code == 400


def test_service_keeps_answering_while_postgres_and_s3_are_unreachable(stack: Stack):
    champion = quick_champion(stack)
    database = stack.settings.database_url.rsplit("/", 1)[1]
    admin = create_engine(stack.settings.database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    block = f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'
    kick = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )
    with admin.connect() as conn:
        conn.execute(text(block))
        conn.execute(text(kick))
    try:
        for n in range(5):
            answer = requests.post(
                f"{stack.url}/predict", json=dict(SHOT, GAME_ID=21409999, SHOT_NUMBER=n + 1), timeout=30
            )
            assert answer.status_code == 200 and answer.json()["model_version"] == champion
        assert requests.get(f"{stack.url}/readyz", timeout=5).status_code == 200
        metrics = requests.get(f"{stack.url}/metrics", timeout=5).text
        assert "shot_request_log_pending" in metrics
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    # Once the database is back, the queued request-log rows are written.
    wait_for(lambda: (stack.store.load_request_log()["game_id"] == 21409999).sum() == 5, timeout=30)


def test_watcher_keeps_its_model_while_s3_is_unreachable(stack: Stack, tmp_path: Path):
    from shot_platform.shots.models.registry import shot_models_at
    from shot_platform.shots.serving.schema import ShotsInput
    from shot_platform.shots.serving.state import shot_state_watcher

    quick_champion(stack)
    with s3_server("outage-bucket") as endpoint:
        models = shot_models_at("s3://outage-bucket/models", endpoint)
        model = stack.models.load()
        models.save(model)
        models.promote(model.version, "test")
        watcher = shot_state_watcher(models, stack.store)
        assert watcher.refresh() and watcher.version == model.version
    # The S3 server is gone: polling fails, the loaded model keeps answering.
    assert watcher.refresh() is False
    assert watcher.last_error is not None and watcher.version == model.version
    shots = ShotsInput.model_validate(SHOT).root
    assert 0 < watcher.state.predict(shots)[0] < 1
