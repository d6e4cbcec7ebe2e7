"""A damaged score_beater registry gives one-line errors, never tracebacks, from the CLI
(`models list|promote --model score_beater`) and from the loaders the sync engine, the assets and
the service use; promotion refuses every version that cannot load; nothing is left in $TMPDIR
(issue 13, item 10)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.model_store import RegistryError, sha256
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.saved_model_server import SavedModelServer
from shot_platform.free_throws.flow.scorers import NoModelError, SavedModelScorer
from shot_platform.free_throws.serving.champion import champion_scorer
from shot_platform_tests.saved_models import export_model

pytestmark = pytest.mark.slow  # SavedModels exported in a child process; promotion loads them in another


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store with score_beater versions 1 (the champion) and 2, both real SavedModels."""
    root = tmp_path_factory.mktemp("healthy") / "models"
    store = SavedModelStore(LocalBlobStore(root), "score_beater")
    exports = tmp_path_factory.mktemp("exports")
    for seed in (1, 2):
        export_model(exports / str(seed), seed=seed)
        store.save(exports / str(seed), {"metrics": {"log_loss": 0.4}})
    # Written as `promote` writes it (promote itself is tested below, and costs a TensorFlow load).
    store.blobs.put("score_beater/champion.json", json.dumps({"version": "1", "reason": "fixture"}).encode())
    return root


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$TMPDIR for this test (and its child processes), empty at the start."""
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


@pytest.fixture
def models(platform_home: Path, healthy: Path, tmpdir_env: Path) -> Path:
    """This test's copy of the healthy store at $SHOT_PLATFORM_HOME/models."""
    shutil.copytree(healthy, platform_home / "models", symlinks=True)
    return platform_home / "models"


def store_at(models: Path) -> SavedModelStore:
    return SavedModelStore(LocalBlobStore(models), "score_beater")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_failure(result: Result, *phrases: str) -> str:
    """Exit 1 through `fail`: one `error:` line, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def rewrite_metadata(version: Path, change: Callable[[dict], object]) -> None:
    metadata = json.loads((version / "metadata.json").read_text())
    (version / "metadata.json").write_text(json.dumps(change(metadata)))


def replace_with_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_bytes(b"a file where a directory was")


def replace_with_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def replace_with_dangling_link(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "gone.pb")


# How version 2 gets damaged, and what the one-line error then says.
VERSION_DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "metadata_empty_object": (lambda v: (v / "metadata.json").write_text("{}"), "records no artifact files"),
    "metadata_empty_and_variables_deleted": (
        lambda v: ((v / "metadata.json").write_text("{}"), shutil.rmtree(v / "variables")),
        "records no artifact files",
    ),
    "metadata_not_json": (lambda v: (v / "metadata.json").write_text('{"files": {'), "not valid JSON"),
    "metadata_a_list": (lambda v: (v / "metadata.json").write_text("[]"), "not a JSON object"),
    "metadata_a_directory": (lambda v: replace_with_directory(v / "metadata.json"), "is a directory"),
    "files_not_a_map": (lambda v: rewrite_metadata(v, lambda m: {**m, "files": ["saved_model.pb"]}), "records no"),
    "no_graph_recorded": (
        lambda v: rewrite_metadata(
            v, lambda m: {**m, "files": {"variables/variables.index": m["files"]["variables/variables.index"]}}
        ),
        "records no saved_model.pb",
    ),
    "sha256_not_text": (
        lambda v: rewrite_metadata(v, lambda m: {**m, "files": {**m["files"], "saved_model.pb": 7}}),
        "no sha256 for 'saved_model.pb'",
    ),
    "variables_deleted": (lambda v: shutil.rmtree(v / "variables"), "is missing; promote another version"),
    "variables_a_file": (lambda v: replace_with_file(v / "variables"), "variables is a file where a directory belongs"),
    "graph_a_directory": (lambda v: replace_with_directory(v / "saved_model.pb"), "saved_model.pb is a directory"),
    "graph_a_dangling_link": (lambda v: replace_with_dangling_link(v / "saved_model.pb"), "saved_model.pb is missing"),
    "graph_truncated": (
        lambda v: (v / "saved_model.pb").write_bytes((v / "saved_model.pb").read_bytes()[:100]),
        "does not match its recorded sha256",
    ),
    "file_recorded_twice_as_file_and_folder": (
        lambda v: rewrite_metadata(
            v, lambda m: {**m, "files": {**m["files"], "variables": m["files"]["saved_model.pb"]}}
        ),
        "",  # "variables" is a directory in the store, or clashes with variables/... in the copy
    ),
}


@pytest.mark.parametrize("damage", sorted(VERSION_DAMAGE))
def test_a_damaged_version_is_refused_by_promote_and_named_by_list_in_one_line(
    damage: str, models: Path, tmpdir_env: Path
):
    apply, phrase = VERSION_DAMAGE[damage]
    apply(models / "score_beater" / "2")

    refused = run("models", "promote", "--model", "score_beater", "2")
    line = assert_one_line_failure(refused, phrase, "pointer is unchanged")
    assert "Traceback" not in line
    assert store_at(models).champion_version() == "1"

    listed = run("models", "list", "--model", "score_beater")
    assert listed.exit_code == 0, listed.output
    assert "Traceback" not in listed.output and "* 1 " in listed.output
    assert os.listdir(tmpdir_env) == []  # no copy of the version left behind


@pytest.mark.parametrize("damage", sorted(VERSION_DAMAGE))
def test_the_loaders_of_sync_assets_and_service_report_a_damaged_champion_in_one_line(
    damage: str, models: Path, tmpdir_env: Path
):
    apply, phrase = VERSION_DAMAGE[damage]
    apply(models / "score_beater" / "2")
    store = store_at(models)
    store.blobs.put("score_beater/champion.json", json.dumps({"version": "2"}).encode())  # by hand, unverified

    with pytest.raises(NoModelError) as sync_error:  # the sync engine's scorer
        SavedModelScorer.from_store(store)
    with pytest.raises(RegistryError) as asset_error:  # the score_beater_predictions asset's
        champion_scorer(str(models))
    server = SavedModelServer(store)  # the service's
    assert server.refresh() is False
    readiness = server.readiness()
    for message in (str(sync_error.value), str(asset_error.value), readiness["error"]):
        assert "\n" not in message and phrase in message, message
    assert readiness["diverged"] is True and readiness["state"] == "loading failed"
    assert os.listdir(tmpdir_env) == []


def test_a_version_directory_with_a_leading_zero_is_not_a_version(models: Path, tmpdir_env: Path):
    (models / "score_beater" / "2").rename(models / "score_beater" / "02")
    store = store_at(models)
    assert store.versions() == ["1"] and store.next_version() == "3"  # TF Serving would read 02 as 2
    assert_one_line_failure(run("models", "promote", "--model", "score_beater", "02"), "without leading zeros")
    assert_one_line_failure(run("models", "promote", "--model", "score_beater", "2"), "no complete version '2'")
    listed = run("models", "list", "--model", "score_beater")
    assert listed.exit_code == 0 and "02" not in listed.output and "* 1 " in listed.output
    store.blobs.put("score_beater/champion.json", json.dumps({"version": "02"}).encode())
    with pytest.raises(NoModelError, match="'02', which does not exist"):
        SavedModelScorer.from_store(store)
    assert os.listdir(tmpdir_env) == []


def test_a_champion_pointer_that_is_a_directory(models: Path, tmpdir_env: Path):
    replace_with_directory(models / "score_beater" / "champion.json")
    listed = run("models", "list", "--model", "score_beater")
    assert listed.exit_code == 0, listed.output
    assert "is a directory, not a file" in listed.output and "no usable champion" in listed.output
    assert "Traceback" not in listed.output

    assert_one_line_failure(
        run("models", "promote", "--model", "score_beater", "1"), "champion.json: it is a directory; move it away"
    )
    with pytest.raises(NoModelError, match=r"is a directory, not a file.*repair it"):
        SavedModelScorer.from_store(store_at(models))
    with pytest.raises(RegistryError, match="is a directory, not a file"):
        champion_scorer(str(models))
    server = SavedModelServer(store_at(models))
    server.refresh()
    assert server.readiness()["diverged"] is True and "is a directory" in server.readiness()["error"]


def test_a_model_folder_that_is_a_file(models: Path, tmpdir_env: Path):
    replace_with_file(models / "score_beater")
    assert_one_line_failure(run("models", "list", "--model", "score_beater"), "is a file where a directory belongs")
    assert_one_line_failure(run("models", "promote", "--model", "score_beater", "1"), "pointer is unchanged")
    with pytest.raises(NoModelError):
        SavedModelScorer.from_store(store_at(models))
    with pytest.raises(RegistryError):
        champion_scorer(str(models))
    server = SavedModelServer(store_at(models))
    server.refresh()
    assert server.readiness()["diverged"] is True


def test_promote_loads_the_version_and_refuses_one_tensorflow_cannot_load(models: Path, tmpdir_env: Path):
    """Intact bytes with matching checksums that are no SavedModel: only loading can tell."""
    version = models / "score_beater" / "2"
    garbage = b"\x08\x01" + b"not a SavedModel" * 10
    (version / "saved_model.pb").write_bytes(garbage)
    rewrite_metadata(version, lambda m: {**m, "files": {**m["files"], "saved_model.pb": sha256(garbage)}})

    refused = run("models", "promote", "--model", "score_beater", "2")
    assert_one_line_failure(refused, "score_beater version 2 does not load as a SavedModel", "pointer is unchanged")
    assert store_at(models).champion_version() == "1"
    assert os.listdir(tmpdir_env) == []


def test_a_good_promotion_leaves_nothing_in_tmpdir(models: Path, tmpdir_env: Path):
    promoted = run("models", "promote", "--model", "score_beater", "2")
    assert promoted.exit_code == 0, promoted.output
    assert "champion is now 2 (was 1)" in promoted.output
    assert store_at(models).champion_version() == "2"
    assert os.listdir(tmpdir_env) == []


def test_retraining_leaves_no_champion_copy_or_challenger_in_tmpdir(
    models: Path, free_throw_file: Path, tmp_path: Path, tmpdir_env: Path
):
    """The champion's verified copy (for the trainer to score the judged season with), the
    challenger's export and the promotion's check copy are all removed."""
    from shot_platform.free_throws.features.tables import rebuild_features
    from shot_platform.free_throws.flow.retrain import complete_seasons, retrain_score_beater
    from shot_platform.free_throws.ingest.events import ingest_free_throw_file
    from shot_platform.free_throws.labels import BEAT
    from shot_platform.free_throws.store import FreeThrowStore

    store = FreeThrowStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    ingest_free_throw_file(store, free_throw_file)
    rebuild_features(store)
    judge = max(complete_seasons(store))
    registry = store_at(models)
    seen: dict[str, Path] = {}

    def stand_in_trainer(data, path: Path) -> dict:
        # The champion's copy exists while the trainer runs, and lives in $TMPDIR.
        assert data.champion is not None and (data.champion / "saved_model.pb").is_file()
        assert data.champion.is_relative_to(tmpdir_env)
        seen["champion"] = data.champion
        shutil.copytree(models / "score_beater" / "2", path, ignore=shutil.ignore_patterns("metadata.json"))
        label = data.probe[BEAT].to_numpy(dtype=float)
        return {
            "probe_probabilities": (0.1 + 0.8 * label).tolist(),  # better than the base rate and the champion
            "champion_probabilities": [0.5] * len(label),
        }

    decision = retrain_score_beater(store, registry, judge_season=judge, trainer=stand_in_trainer)
    store.dispose()
    assert decision["promoted"] is True, decision["reason"]
    assert registry.champion_version() == decision["version"] == "3"
    assert not seen["champion"].exists()
    assert os.listdir(tmpdir_env) == []
