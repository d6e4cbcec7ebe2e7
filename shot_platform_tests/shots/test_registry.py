"""A damaged registry never crashes the CLI and is always repairable from it; an artifact is
verified (sha256 recorded at save, checked on load and promote, plus a real load) before it can
become champion. On local disk and on an S3-compatible server (moto on loopback)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest
from click.testing import CliRunner, Result
from dagster import RunRequest, build_sensor_context

from shot_platform.cli import cli
from shot_platform.core.model_store import CorruptArtifactError, ModelStore, sha256
from shot_platform.core.settings import Settings
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.registry import open_shot_models, shot_models_at
from shot_platform.shots.sensors import retrain_on_new_shots
from shot_platform.shots.synthetic import write_shots
from shot_platform_tests.s3_server import CREDENTIALS, s3_server

pytestmark = pytest.mark.slow  # an S3 server and a trained platform home per test

# How a pointer gets damaged (an interrupted hand edit, a bad copy, a deleted version) and what
# the registry must then say.
DAMAGE = {
    "invalid_json": (b'{"version": "2026', "is not valid JSON"),
    "missing_version": (json.dumps({"reason": "edited by hand"}).encode(), "has no 'version'"),
    "unknown_version": (json.dumps({"version": "20990101T000000-gone"}).encode(), "which does not exist"),
    "empty": (b"", "is empty"),
    "not_an_object": (b"[1, 2]", "has no 'version'"),
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server("registry") as url:
        yield url


@pytest.fixture(params=["local", "s3"])
def home(request: pytest.FixtureRequest, trained_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a trained platform home; with ``s3`` its model versions live on the S3 server."""
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("SHOT_PLATFORM_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("SHOT_PLATFORM_DATABASE_URL", "SHOT_PLATFORM_MODEL_DIR", "SHOT_PLATFORM_MODEL_STORE"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "s3":
        local = shot_models_at(home / "models")
        for key, value in CREDENTIALS.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SHOT_PLATFORM_MODEL_STORE", f"s3://registry/{uuid.uuid4().hex}")
        monkeypatch.setenv("SHOT_PLATFORM_S3_ENDPOINT_URL", request.getfixturevalue("s3_endpoint"))
        remote = open_shot_models(Settings.from_env())
        for version in local.versions():
            remote.save(local.load(version))
        remote.promote(local.champion_version(), "copied from the local store")
        shutil.rmtree(home / "models")
    return home


@pytest.fixture
def models(home: Path) -> ModelStore[ShotModel]:
    return open_shot_models(Settings.from_env())


@pytest.fixture
def shots_file(home: Path, synthetic_shots) -> Path:
    return write_shots(synthetic_shots.head(30), home / "to_score.csv")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_clean_failure(result: Result, *phrases: str) -> None:
    """Exit 1 through `fail` (a message), not an exception escaping with a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


def add_copy_of_champion(models: ModelStore[ShotModel], suffix: str) -> str:
    """A second complete, verified version (the champion's estimator under a new version)."""
    model = models.load()
    model.version = f"{model.version[:15]}-{suffix}"
    model.metadata = dict(model.metadata, version=model.version)
    return models.save(model)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_pointer_never_crashes_the_cli_and_promote_repairs_it(
    damage: str, models: ModelStore[ShotModel], shots_file: Path, home: Path
):
    content, problem = DAMAGE[damage]
    good = models.versions()[-1]
    models.blobs.put("shot_model/champion.json", content)
    assert models.champion_version() is None and models.champion_pointer().problem

    listed = run("models", "list")
    assert listed.exit_code == 0, listed.output
    assert problem in listed.output and "no usable champion" in listed.output
    assert f"repair: `shot-platform models promote {good}`" in listed.output
    assert f"* {good}" not in listed.output and good in listed.output  # versions still listed

    assert_clean_failure(run("predict", "shots", str(shots_file), "-o", str(home / "out.csv")), problem, "promote")

    repaired = run("models", "promote", good, "--reason", "repair")
    assert repaired.exit_code == 0, repaired.output
    assert f"champion is now {good}" in repaired.output and "repaired the pointer" in repaired.output
    assert models.champion_version() == good
    assert problem in models.champion()["repaired"]
    assert f"* {good}" in run("models", "list").output
    scored = run("predict", "shots", str(shots_file), "-o", str(home / "out.csv"))
    assert scored.exit_code == 0 and f"with model {good}" in scored.output


def test_a_truncated_artifact_cannot_be_promoted_and_predict_explains_it(
    models: ModelStore[ShotModel], shots_file: Path, home: Path
):
    champion = models.champion_version()
    broken = add_copy_of_champion(models, "truncated")
    key = f"shot_model/versions/{broken}/model.joblib"
    whole = models.blobs.get(key)
    models.blobs.put(key, whole[: len(whole) // 2])  # an upload cut short

    refused = run("models", "promote", broken)
    assert_clean_failure(refused, f"version {broken}: artifact file model.joblib is damaged", "pointer is unchanged")
    assert f"{len(whole) // 2:,} bytes, {len(whole):,} recorded" in refused.output
    assert models.champion_version() == champion
    with pytest.raises(CorruptArtifactError):
        models.load(broken)

    # Even when a pointer names it (written by hand, or by an older release), nothing crashes.
    models.blobs.put("shot_model/champion.json", json.dumps({"version": broken}).encode())
    assert_clean_failure(run("predict", "shots", str(shots_file), "-o", str(home / "out.csv")), "damaged")
    assert run("models", "list").exit_code == 0
    assert run("models", "promote", champion).exit_code == 0  # the documented rollback works


def test_an_artifact_that_matches_its_checksum_but_does_not_load_is_refused(models: ModelStore[ShotModel]):
    champion = models.champion_version()
    broken = add_copy_of_champion(models, "unloadable")
    payload = _joblib_bytes({"not": "a model"})  # intact bytes, recorded checksum, wrong content
    models.blobs.put(f"shot_model/versions/{broken}/model.joblib", payload)
    metadata = models.metadata(broken)
    metadata["artifact"]["files"]["model.joblib"] = {"sha256": sha256(payload), "bytes": len(payload)}
    models.blobs.put(f"shot_model/versions/{broken}/metadata.json", json.dumps(metadata).encode())

    refused = run("models", "promote", broken)
    assert_clean_failure(refused, f"version {broken} does not load as joblib", "pointer is unchanged")
    assert models.champion_version() == champion


def _joblib_bytes(value) -> bytes:
    import io

    buffer = io.BytesIO()
    joblib.dump(value, buffer)
    return buffer.getvalue()


def test_checksums_are_recorded_at_save_and_a_version_without_them_is_verified_by_loading(
    models: ModelStore[ShotModel],
):
    version = models.champion_version()
    recorded = models.metadata(version)["artifact"]
    data = models.blobs.get(f"shot_model/versions/{version}/model.joblib")
    assert recorded == {"format": "joblib", "files": {"model.joblib": {"sha256": sha256(data), "bytes": len(data)}}}

    legacy = add_copy_of_champion(models, "legacy")  # as saved before checksums existed
    metadata = models.metadata(legacy)
    del metadata["artifact"]
    models.blobs.put(f"shot_model/versions/{legacy}/metadata.json", json.dumps(metadata).encode())
    assert models.promote(legacy, "legacy")["version"] == legacy
    models.blobs.put(f"shot_model/versions/{legacy}/model.joblib", b"\x00" * 100)
    with pytest.raises(CorruptArtifactError, match="does not load"):
        models.promote(legacy, "legacy, now damaged")


def test_the_sensor_treats_a_damaged_pointer_as_no_champion(
    models: ModelStore[ShotModel], capfd: pytest.CaptureFixture
):
    from shot_platform.shots.definitions import resources

    models.blobs.put("shot_model/champion.json", b"{not json")
    result = retrain_on_new_shots(build_sensor_context(resources=resources()))
    assert isinstance(result, RunRequest)  # every stored shot counts as new: the next run trains a champion
    logged = capfd.readouterr().err  # the sensor's context.log (Dagster's own handler)
    assert "WARNING - no usable champion, counting every shot as new" in logged and "is not valid JSON" in logged
