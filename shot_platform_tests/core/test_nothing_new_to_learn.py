"""Nothing retrains when there is nothing the champion has not seen: `shot-platform demo` twice on the
same data (what `make run` twice does) and a sensor tick at start-up leave both champions and both
registries' version counts as they were; a retrain that ties is stored as not promoted with both scores.

Real components: the CLI in process, the Dagster instance under the home, SQLite store, local registries,
the real Keras training of score_beater (in its child process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, SkipReason, build_sensor_context

from shot_platform.cli import cli
from shot_platform.core.gate import TIE
from shot_platform.core.saved_model_store import SavedModelStore, open_saved_model_store
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.registry import shot_models_at

pytestmark = pytest.mark.slow  # materialises both domains (a Keras model) twice

# Small, but enough for both models to beat the base rate: 3 free-throw seasons give score_beater one
# season to train on and one to be judged on.
SMALL = ["--games", "40", "--free-throw-seasons", "3", "--games-per-season", "150"]


def score_beater_registry(home: Path) -> SavedModelStore:
    return open_saved_model_store(str(home / "models"), None, "score_beater")


def registries(home: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Champion and versions of both models."""
    shots, beaters = shot_models_at(home / "models"), score_beater_registry(home)
    return {
        "shot_model": (shots.champion_version(), shots.versions()),
        "score_beater": (beaters.champion_version(), beaters.versions()),
    }


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def sensor_tick(name: str):
    """One tick of a sensor of the code location, at start-up (no cursor), on the home's instance."""
    from shot_platform.definitions import defs

    with DagsterInstance.get() as instance:
        context = build_sensor_context(instance=instance, resources=defs.resources)
        return defs.resolve_sensor_def(name)(context)


def test_demo_twice_on_the_same_data_keeps_both_champions_and_sensors_request_nothing(
    platform_home: Path, monkeypatch: pytest.MonkeyPatch
):
    invoke("demo", *SMALL)
    first = registries(platform_home)
    assert first["shot_model"][0] is not None and first["score_beater"][0] is not None, first
    assert first["score_beater"][1] == ["1"]

    output = invoke("demo", *SMALL)
    assert registries(platform_home) == first  # no new champion, and no copy stored
    assert "0 inserted" in output
    assert "retrained=False" in output  # shot_model: the champion kept, nothing trained

    # A tick at start-up (make run's UI) with champions trained on everything requests no run, even
    # with the thresholds at their lowest.
    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS", "0")
    monkeypatch.setenv("SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS", "0")
    shots = sensor_tick("retrain_on_new_shots")
    assert isinstance(shots, SkipReason) and shots.skip_message.startswith("0 new labelled shots"), shots
    labels = sensor_tick("score_beater_labels_sensor")
    assert isinstance(labels, SkipReason), labels
    assert "not retrained: nothing new to learn (champion 1 trained on" in labels.skip_message
    assert registries(platform_home) == first


def test_a_retrain_that_ties_is_stored_as_not_promoted_with_both_scores(platform_home: Path, synthetic_file: Path):
    invoke("ingest", "shots", str(synthetic_file))
    invoke("materialize", "--select", "group:shots")
    models = shot_models_at(platform_home / "models")
    trained = models.load(models.champion_version())
    # The same model as saved by an earlier release: it records no training input, so the next run
    # trains a challenger from the same shots, which can only tie.
    metadata = {key: value for key, value in trained.metadata.items() if key != "training_input"}
    earlier = ShotModel(trained.estimator, trained.feature_columns, "20000101T000000-earlier", metadata)
    earlier.metadata["version"] = earlier.version
    models.save(earlier)
    models.promote(earlier.version, "test: a champion of an earlier release")
    versions = models.versions()

    invoke("materialize", "--select", "shot_model")
    assert models.champion_version() == earlier.version
    [challenger] = [version for version in models.versions() if version not in versions]
    promotion = models.metadata(challenger)["promotion"]
    assert promotion["promoted"] is False and promotion["reason"].startswith(TIE), promotion
    assert promotion["champion"] == earlier.version
    assert promotion["challenger_log_loss"] == promotion["champion_log_loss"] is not None
    assert promotion["held_out_rows"] > 0 and "after both training windows" in promotion["held_out_description"]

    # That challenger records its input: the next run has nothing new to learn and stores nothing.
    models.promote(challenger, "test: the tied challenger")
    after = models.versions()
    invoke("materialize", "--select", "shot_model")
    assert models.versions() == after and models.champion_version() == challenger
