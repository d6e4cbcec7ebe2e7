"""The daemon's retraining path ends like `shot-platform sync free-throws`: a trained, gated challenger.

The labels sensor (``build_sensor_context`` on a real Dagster instance) requests
``retrain_score_beater``; the run's ``score_beater`` asset calls ``flow.retrain.retrain_score_beater``
with no trainer, i.e. the one default the CLI's sync uses too (``keras_trainer``: the shipped MLP in a
child process). The run must leave a new registry version trained on the complete labelled seasons
before the judged one, with the gate's decision (challenger vs champion log loss on the judged
season) in its metadata, promoted only when it is better. The champion is a real SavedModel (the
gate scores it); the seasons are synced from the real replay server process on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import Definitions, RunRequest, build_sensor_context, instance_for_test

from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.free_throws.definitions import defs  # the domain's own graph and resources, alone
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterRetrainingResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.sensors import score_beater_labels_sensor
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws
from shot_platform_tests.saved_models import export_model
from shot_platform_tests.stand_in_scorers import LinearScorer

FIRST = 2008  # 2008-09 history, 2009-10 and 2010-11 predicted and labelled


@pytest.mark.slow
def test_the_labels_sensor_run_trains_and_gates_a_challenger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", "1")
    frame = generate_free_throws(seasons=3, first_season=FIRST, regular_games=40, playoff_games=2, seed=13)
    data = write_free_throws(frame, tmp_path / "ft.csv.gz")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = FreeThrowStore(url)
    store.create_schema()
    models = tmp_path / "models"
    registry = open_saved_model_store(str(models), None, "score_beater")
    export_model(tmp_path / "champion", seed=2)
    registry.promote(registry.save(tmp_path / "champion", {"train_seasons": [FIRST - 2, FIRST - 1]}), "test")

    with replay_server(data, release="all") as api, instance_for_test() as instance:
        sync_free_throws(store, None, ScoresApiClient(api), scorer=LinearScorer(), retrain=False)
        resources = {
            "free_throw_store": FreeThrowStoreResource(database_url=url),
            "score_beater_models": ScoreBeaterModelsResource(location=str(models)),
            "score_beater_retraining": ScoreBeaterRetrainingResource(),
            "scores_api": ScoresApiResource(base_url=api, retries=1),
            "score_beater_scorer": ScoreBeaterScorerResource(),
        }
        request = score_beater_labels_sensor(build_sensor_context(instance=instance, resources=resources))
        assert isinstance(request, RunRequest)
        judge = request.run_config["ops"]["score_beater"]["config"]["judge_season"]
        assert judge == FIRST + 2
        definitions = Definitions(
            assets=defs.assets,
            asset_checks=defs.asset_checks,
            jobs=[free_throw_games_job, retrain_score_beater_job],
            resources=resources,
        )
        run = definitions.resolve_job_def("retrain_score_beater").execute_in_process(
            instance=instance, run_config=request.run_config, tags={**request.tags}
        )
        assert run.success

    decision = {
        key: value.value
        for event in run.get_asset_materialization_events()
        if event.asset_key.to_user_string() == "score_beater"
        for key, value in event.materialization.metadata.items()
    }
    assert registry.versions() == ["1", "2"], decision  # a challenger was trained and saved
    challenger = registry.metadata("2")
    assert challenger["train_seasons"] == [FIRST + 1] and challenger["test_seasons"] == [judge]
    assert challenger["epochs"] >= 1 and challenger["train_rows"] > 0  # keras_trainer's own report
    gate = challenger["promotion"]
    assert gate["champion"] == "1" and gate["champion_log_loss"] is not None
    assert gate["promoted"] == (challenger["metrics"]["log_loss"] < gate["champion_log_loss"]), gate
    assert decision["promoted"] is gate["promoted"] and decision["judge_season"] == judge
    assert registry.champion_version() == ("2" if gate["promoted"] else "1")
    store.dispose()
