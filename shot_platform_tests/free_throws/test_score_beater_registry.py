"""score_beater in the model store: TF Serving's layout, integer versions, checksums, the champion
pointer and `models list|promote --model score_beater`, on local disk and on S3 (moto server);
the stored SavedModel reloads in a fresh process with tf.saved_model.load alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore, open_blob_store
from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.saved_model_store import ChecksumMismatchError, SavedModelStore
from shot_platform_tests.s3_server import CREDENTIALS, s3_server
from shot_platform_tests.saved_models import PROBE, export_model

pytestmark = pytest.mark.slow  # service processes, SavedModels exported in child processes


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    path = tmp_path_factory.mktemp("export") / "model"
    return path, export_model(path, seed=1)


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_versions_are_integers_in_tf_serving_layout_with_metadata_last(tmp_path: Path, exported):
    path, _ = exported
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    assert store.versions() == [] and store.champion_version() is None
    assert store.save(path, {"metrics": {"log_loss": 0.39}}) == "1"
    assert store.save(path) == "2"
    assert store.versions() == ["1", "2"]
    layout = files_under(tmp_path / "score_beater")
    for version in ("1", "2"):
        assert {f"{version}/saved_model.pb", f"{version}/variables/variables.index", f"{version}/metadata.json"} <= set(
            layout
        )
    metadata = store.metadata("1")
    assert metadata["version"] == "1" and metadata["metrics"] == {"log_loss": 0.39}
    assert set(metadata["files"]) == set(files_under(path))  # a checksum for every exported file
    assert store.local_path("1") == tmp_path / "score_beater" / "1"


def test_incomplete_versions_are_never_listed_or_promoted_and_numbers_are_not_reused(tmp_path: Path, exported):
    path, _ = exported
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    store.save(path)
    # An upload that died before its metadata: files but no metadata.json.
    store.blobs.put("score_beater/2/saved_model.pb", (path / "saved_model.pb").read_bytes())
    assert store.versions() == ["1"]
    with pytest.raises(ModelNotFoundError):
        store.promote("2", "test")
    with pytest.raises(ModelNotFoundError, match="whole numbers"):
        store.promote("../shot_model", "test")
    assert store.save(path) == "3"
    assert store.versions() == ["1", "3"]


def test_promote_rollback_and_checksum_verification(tmp_path: Path, exported):
    path, _ = exported
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    first, second = store.save(path), store.save(path)
    store.promote(first, "first")
    record = store.promote(second, "second")
    assert record["previous"] == first and store.champion_version() == second
    assert store.promote(first, "rollback")["previous"] == second
    copy = store.load()  # the champion, verified
    assert files_under(copy) == sorted(store.metadata(first)["files"])

    damaged = tmp_path / "score_beater" / first / "variables" / "variables.data-00000-of-00001"
    data = damaged.read_bytes()
    damaged.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    with pytest.raises(ChecksumMismatchError, match=r"variables\.data-00000-of-00001 is damaged: it does not match"):
        store.load(first, tmp_path / "copy")
    assert store.load(second)  # the other version is intact


def test_s3_store_keeps_the_same_layout(tmp_path: Path, exported, monkeypatch: pytest.MonkeyPatch):
    path, _ = exported
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with s3_server("models") as endpoint:
        store = SavedModelStore(open_blob_store("s3://models/registry", endpoint), "score_beater")
        version = store.save(path, {"metrics": {"auc": 0.9}})
        store.promote(version, "test")
        keys = store.blobs.list("score_beater")
        assert "score_beater/1/saved_model.pb" in keys and "score_beater/champion.json" in keys
        assert files_under(store.load()) == files_under(path)
        assert store.local_path(version) is None


def test_models_cli_lists_and_promotes_score_beater(platform_home: Path, exported):
    path, _ = exported
    store = SavedModelStore(LocalBlobStore(platform_home / "models"), "score_beater")
    store.save(path, {"metrics": {"auc": 0.901, "log_loss": 0.389}, "test_seasons": [2012, 2013]})
    store.save(path, {"metrics": {"auc": 0.8, "log_loss": 0.45}})
    runner = CliRunner()
    promoted = runner.invoke(cli, ["models", "promote", "--model", "score_beater", "2"])
    assert promoted.exit_code == 0, promoted.output
    assert "champion is now 2" in promoted.output
    listed = runner.invoke(cli, ["models", "list", "--model", "score_beater"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert any(line.startswith("  1 ") and "0.9010" in line and "2012-13, 2013-14" in line for line in lines), lines
    assert any(line.startswith("* 2 ") for line in lines), lines
    missing = runner.invoke(cli, ["models", "promote", "--model", "score_beater", "9"])
    assert missing.exit_code == 1 and "models list --model score_beater" in missing.output
    assert all(" MLP " in line for line in lines if line.startswith(("  1 ", "* 2 ")))  # its candidate
    # Without --model every registry is listed: the shot model has its own, empty one.
    every = runner.invoke(cli, ["models", "list"]).output
    assert "no shot_model models" in every and "* 2 " in every


def test_the_stored_model_reloads_in_a_fresh_process_with_the_training_probabilities(tmp_path: Path, exported):
    path, trained = exported
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    version = store.save(path)
    script = """
import json, sys
import tensorflow as tf
probe = json.loads(sys.argv[2])
signature = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
outputs = signature(**{name: tf.constant(values, dtype=tf.float32) for name, values in probe.items()})
print(json.dumps(outputs["probability"].numpy().astype(float).tolist()))
"""
    probe = json.dumps({name: values.tolist() for name, values in PROBE.items()})
    result = subprocess.run(
        [sys.executable, "-c", script, str(store.local_path(version)), probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    reloaded = np.array(json.loads(result.stdout.strip().splitlines()[-1]))
    assert reloaded.shape == trained.shape == (len(PROBE["made"]),)
    np.testing.assert_allclose(reloaded, trained, rtol=0, atol=1e-6)
    assert len(set(np.round(reloaded, 4))) > 10  # a real model, not a constant


def test_champion_scorer_loads_the_champion_for_batch_predictions(tmp_path: Path, exported):
    """What the free-throw assets call: the champion, through the serving signature (child process:
    TensorFlow stays out of the pytest process)."""
    path, trained = exported
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    store.promote(store.save(path), "test")
    script = """
import json, sys
import pandas as pd
from shot_platform.free_throws.serving.champion import champion_scorer
scorer = champion_scorer(sys.argv[1])
frame = pd.DataFrame(json.loads(sys.argv[2]))
empty = champion_scorer(sys.argv[3])
print(json.dumps({"version": scorer.version, "p": scorer.predict(frame).tolist(), "empty": empty}))
"""
    probe = json.dumps({name: values.tolist() for name, values in PROBE.items()})
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), probe, str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["version"] == "1" and answer["empty"] is None
    np.testing.assert_allclose(answer["p"], trained, rtol=0, atol=1e-6)
