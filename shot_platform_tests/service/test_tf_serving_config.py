"""Stock TF Serving's model config from the score_beater registry: version labels (stable = champion,
canary = newest gated-but-not-promoted challenger above it), the ``ModelServerConfig`` text parsed
with the official ``tensorflow-serving-api`` protos, written on every save and promotion, synced
from S3 to a local directory, and the flow's REST scorer following the ``stable`` label."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from google.protobuf import text_format
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorflow_serving.config import model_server_config_pb2

from shot_platform.core.blobs import LocalBlobStore, open_blob_store
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving import tf_serving_sync
from shot_platform.core.serving.tf_serving_config import (
    BASE_PATH_ENV,
    CONFIG_FILE,
    ServingConfigError,
    is_canary,
    phase_labels,
    render_config,
    sync_to_directory,
    version_labels,
)
from shot_platform.free_throws.flow.scorers import RestScorer, ScorerError
from shot_platform.free_throws.inputs import INPUT_NAMES

BEATS_BASE = {"log_loss": 0.40, "base_rate_log_loss": 0.69}
NO_BETTER = {"log_loss": 0.70, "base_rate_log_loss": 0.69}


def parse(text: str) -> model_server_config_pb2.ModelServerConfig:
    """What TF Serving does with the file: the official proto, text format."""
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def decision(promoted: bool, metrics: dict = BEATS_BASE) -> dict:
    """A version's metadata as ``flow.retrain`` records the gate's decision."""
    return {"metrics": metrics, "promotion": {"promoted": promoted, "reason": "test", "champion": None}}


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """A directory that ``SavedModelStore.save`` accepts (the bytes are not loaded by these tests)."""
    path = tmp_path / "export"
    (path / "variables").mkdir(parents=True)
    (path / "variables" / "variables.index").write_bytes(b"index")
    (path / "saved_model.pb").write_bytes(b"graph")
    return path


def point_champion(store: SavedModelStore, version: str) -> None:
    """The champion pointer as ``promote`` writes it (promotion itself loads TensorFlow: see the slow test)."""
    store.blobs.put("score_beater/champion.json", json.dumps({"version": version}).encode())


def written(store: SavedModelStore) -> model_server_config_pb2.ModelServerConfig:
    return parse(store.blobs.get(f"score_beater/{CONFIG_FILE}").decode())


def loaded_and_labels(config: model_server_config_pb2.ModelServerConfig) -> tuple[list[int], dict[str, int]]:
    (model,) = config.model_config_list.config
    return list(model.model_version_policy.specific.versions), dict(model.version_labels)


def test_canary_is_the_newest_challenger_above_the_champion_that_beat_the_base_rate(tmp_path: Path, exported):
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    assert version_labels(store) == {}
    store.save(exported, decision(True))  # 1
    assert version_labels(store) == {}  # saved, never promoted: no champion, nothing labelled
    point_champion(store, "1")
    store.save(exported, decision(False))  # 2: lost to the champion
    store.save(exported, decision(False, NO_BETTER))  # 3: failed the gate
    store.save(exported, {"metrics": BEATS_BASE})  # 4: no decision recorded (an import)
    assert version_labels(store) == {"stable": 1, "canary": 2}
    store.save(exported, decision(False))  # 5: the newest loser
    assert version_labels(store) == {"stable": 1, "canary": 5}
    point_champion(store, "5")
    assert version_labels(store) == {"stable": 5}  # nothing above the champion
    point_champion(store, "1")  # a rollback: 2..5 are above it again
    (tmp_path / "score_beater" / "5" / "metadata.json").write_text("{not json")
    assert version_labels(store) == {"stable": 1, "canary": 2}  # a damaged version is never labelled


def test_config_is_rewritten_on_save_and_keeps_exactly_the_labelled_versions(tmp_path: Path, exported, monkeypatch):
    monkeypatch.delenv(BASE_PATH_ENV, raising=False)
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    store.save(exported, decision(True))
    assert not (tmp_path / "score_beater" / CONFIG_FILE).exists()  # no champion: nothing to serve
    point_champion(store, "1")
    store.save(exported, decision(False))  # the save alone names the new canary
    config = written(store)
    (model,) = config.model_config_list.config
    assert model.name == "score_beater" and model.model_platform == "tensorflow"
    assert model.base_path == str((tmp_path / "score_beater").resolve())
    assert loaded_and_labels(config) == ([1, 2], {"stable": 1, "canary": 2})
    store.update_promotion("2", {"promoted": True, "reason": "re-decided"})  # no longer a canary
    assert loaded_and_labels(written(store)) == ([1], {"stable": 1})
    assert [p.name for p in (tmp_path / "score_beater").iterdir() if p.name.startswith(".")] == []  # no temp left

    monkeypatch.setenv(BASE_PATH_ENV, "/models/score_beater")  # TF Serving in a container
    store.write_serving_config()
    assert written(store).model_config_list.config[0].base_path == "/models/score_beater"


@settings(max_examples=60, deadline=None)
@given(
    base=st.text(st.characters(blacklist_categories=("Cs",), min_codepoint=32), min_size=1, max_size=40),
    stable=st.integers(1, 2**62),
    canary=st.none() | st.integers(1, 2**62),
)
def test_rendered_config_parses_with_the_official_protos_for_any_path_and_versions(base, stable, canary):
    labels = {"stable": stable} | ({"canary": canary} if canary else {})
    if "\x7f" in base:
        with pytest.raises(ServingConfigError, match=BASE_PATH_ENV):
            render_config("score_beater", "/" + base, labels)
        return
    config = parse(render_config("score_beater", "/" + base, labels))
    assert config.model_config_list.config[0].base_path == "/" + base
    assert loaded_and_labels(config) == (sorted(set(labels.values())), labels)


@pytest.mark.parametrize("base", ["", "models/score_beater", "/models/\nscore_beater", "/a\x00b"])
def test_a_base_path_tf_serving_cannot_use_is_refused_with_the_setting_to_fix(base):
    with pytest.raises(ServingConfigError, match=BASE_PATH_ENV):
        render_config("score_beater", base, {"stable": 1})


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    )
)
def test_is_canary_never_raises_on_hostile_metadata(metadata):
    for candidate in (
        metadata,
        {"promotion": metadata, "metrics": metadata},
        {"promotion": {"promoted": False}, "metrics": metadata},
    ):
        assert is_canary(candidate) in (True, False) if isinstance(candidate, dict) else True


def test_is_canary_needs_a_recorded_non_promotion_that_beat_the_base_rate():
    assert is_canary(decision(False))
    assert not is_canary(decision(True))
    assert not is_canary(decision(False, NO_BETTER))
    assert not is_canary(decision(False, {"log_loss": float("nan"), "base_rate_log_loss": 0.69}))
    assert not is_canary(decision(False, {"log_loss": True, "base_rate_log_loss": 2}))
    assert not is_canary({"metrics": BEATS_BASE, "promotion": {"promoted": 0}})


@pytest.mark.slow
def test_sync_copies_verified_versions_from_s3_and_writes_the_config_last(tmp_path: Path, exported, monkeypatch):
    from shot_platform_tests.s3_server import CREDENTIALS, s3_server

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv(BASE_PATH_ENV, raising=False)
    with s3_server("models") as endpoint:
        store = SavedModelStore(open_blob_store("s3://models/registry", endpoint), "score_beater")
        store.save(exported, decision(True))
        point_champion(store, "1")
        store.save(exported, decision(False))
        assert store.blobs.list("score_beater/models.config") == ["score_beater/models.config"]
        served = tmp_path / "served"
        assert sync_to_directory(store, served) == {"stable": 1, "canary": 2}
        for version in ("1", "2"):
            assert (served / "score_beater" / version / "saved_model.pb").read_bytes() == b"graph"
            assert (served / "score_beater" / version / "variables" / "variables.index").read_bytes() == b"index"
        config = parse((served / "score_beater" / CONFIG_FILE).read_text())
        assert config.model_config_list.config[0].base_path == str((served / "score_beater").resolve())

        # A canary whose bytes were damaged in the store is not served; the champion still is.
        store.save(exported, decision(False))
        store.blobs.put("score_beater/3/saved_model.pb", b"tampered")
        assert sync_to_directory(store, served) == {"stable": 1}
        assert loaded_and_labels(parse((served / "score_beater" / CONFIG_FILE).read_text())) == ([1], {"stable": 1})
        assert not (served / "score_beater" / "3").exists()
        assert sorted(p.name for p in (served / "score_beater").iterdir()) == [".labels.json", "1", "2", CONFIG_FILE]

        monkeypatch.setenv("SHOT_PLATFORM_S3_ENDPOINT_URL", endpoint)
        assert (
            tf_serving_sync.main(
                ["--model", "score_beater", "--store", "s3://models/registry", "--sync-to", str(tmp_path / "cli")]
            )
            == 0
        )
        assert (tmp_path / "cli" / "score_beater" / CONFIG_FILE).is_file()


class StandInTfServing(BaseHTTPRequestHandler):
    """TF Serving's REST answers for two loaded versions, 1 labelled ``stable`` and 2 ``canary``
    (model status ignores labels; metadata resolves them), or no labels at all."""

    labels: dict[str, int] = {}
    available: tuple[str, ...] = ("1", "2")
    short = 0
    predicted: list[str] = []

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        prefix = "/v1/models/score_beater"
        if self.path == prefix:
            statuses = [{"version": v, "state": "AVAILABLE", "status": {"error_code": "OK"}} for v in self.available]
            return self._send(200, {"model_version_status": statuses})
        label = self.path.removeprefix(prefix + "/labels/").removesuffix("/metadata")
        if label in self.labels:
            spec = {"name": "score_beater", "signature_name": "", "version": str(self.labels[label])}
            return self._send(200, {"model_spec": spec, "metadata": {}})
        return self._send(400, {"error": f"Unrecognized servable version label: {label}"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        rows = len(json.loads(self.rfile.read(length))["inputs"][INPUT_NAMES[0]])
        self.predicted.append(self.path)
        # each answer says the size of its request; a broken server drops the last output
        self._send(200, {"outputs": [[float(rows)]] * (rows - self.short)})


@contextlib.contextmanager
def stand_in(
    labels: dict[str, int], available: tuple[str, ...] = ("1", "2"), short: int = 0
) -> Iterator[tuple[str, list[str]]]:
    attributes = {"labels": labels, "available": available, "short": short, "predicted": []}
    handler = type("Handler", (StandInTfServing,), attributes)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.predicted
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize(("labels", "expected"), [({"stable": 1, "canary": 2}, "1"), ({}, "2")])
def test_rest_scorer_predicts_with_the_stable_version_when_a_canary_is_loaded(labels, expected):
    """Stock TF Serving keeps the canary (a higher version) loaded: the flow must still score with
    the champion. A server without labels (the embedded service) serves one version: the highest."""
    with stand_in(labels) as (url, predicted):
        scorer = RestScorer(url, timeout=5)
        batch = pd.DataFrame({name: [1.0, 2.0] for name in INPUT_NAMES})
        assert scorer.version == expected
        assert np.array_equal(scorer.predict(batch), [2.0, 2.0])
        assert predicted == [f"/v1/models/score_beater/versions/{expected}:predict"]


def test_a_label_moves_only_to_a_version_tf_serving_has_loaded():
    # TF Serving refuses to move "stable" to an unloaded version: hold it, load both.
    assert phase_labels({"stable": 3}, {"stable": 1}, available={1}) == ({"stable": 1}, {1, 3})
    assert phase_labels({"stable": 3}, {"stable": 1}, available={1, 3}) == ({"stable": 3}, {3})
    # A new label may name an unloaded version (--allow_version_labels_for_unavailable_models).
    assert phase_labels({"stable": 1, "canary": 2}, {"stable": 1}, available={1}) == (
        {"stable": 1, "canary": 2},
        {1, 2},
    )
    assert phase_labels({"stable": 3}, {"stable": 1}, available=None) == ({"stable": 3}, {3})  # nobody to ask


@settings(max_examples=200, deadline=None)
@given(
    wanted=st.dictionaries(st.sampled_from(["stable", "canary"]), st.integers(1, 6), min_size=1),
    previous=st.dictionaries(st.sampled_from(["stable", "canary"]), st.integers(1, 6)),
    available=st.none() | st.sets(st.integers(1, 6)),
)
def test_phased_labels_are_loaded_and_move_only_when_tf_serving_accepts_it(wanted, previous, available):
    labels, loaded = phase_labels(wanted, previous, available)
    assert set(labels) == set(wanted)
    assert set(wanted.values()) <= loaded and set(labels.values()) <= loaded
    for label, version in labels.items():
        moved = label in previous and previous[label] != version
        assert version in (wanted[label], previous.get(label))
        assert not moved or available is None or version in available


@pytest.mark.slow
def test_sync_holds_stable_on_the_loaded_champion_until_tf_serving_has_the_new_one(tmp_path: Path, exported):
    store = SavedModelStore(LocalBlobStore(tmp_path / "store"), "score_beater")
    served = tmp_path / "served"
    store.save(exported, decision(True))
    point_champion(store, "1")
    with stand_in({}, available=()) as (url, _):  # TF Serving starting: nothing loaded yet
        assert sync_to_directory(store, served, tf_serving_url=url) == {"stable": 1}
    store.save(exported, decision(True))
    point_champion(store, "2")  # a promotion
    config = served / "score_beater" / CONFIG_FILE
    with stand_in({}, available=("1",)) as (url, _):
        assert sync_to_directory(store, served, tf_serving_url=url) == {"stable": 1}
        assert loaded_and_labels(parse(config.read_text())) == ([1, 2], {"stable": 1})
    with stand_in({}, available=("1", "2")) as (url, _):
        assert sync_to_directory(store, served, tf_serving_url=url) == {"stable": 2}
        assert loaded_and_labels(parse(config.read_text())) == ([2], {"stable": 2})
    # TF Serving unreachable: nothing moves that was not already loaded.
    store.save(exported, decision(True))
    point_champion(store, "3")
    assert sync_to_directory(store, served, tf_serving_url="http://127.0.0.1:9") == {"stable": 2}


@pytest.mark.slow
def test_every_promotion_rewrites_the_config_through_the_real_registry(tmp_path: Path, monkeypatch):
    """A real SavedModel, promoted the way retraining and `models promote` do (verification loads it)."""
    from shot_platform_tests.saved_models import export_model

    monkeypatch.setenv(BASE_PATH_ENV, "/models/score_beater")
    model = tmp_path / "model"
    export_model(model, seed=1)
    store = SavedModelStore(LocalBlobStore(tmp_path / "store"), "score_beater")
    store.promote(store.save(model, decision(True)), "first model")  # the first champion
    assert loaded_and_labels(written(store)) == ([1], {"stable": 1})
    store.save(model, decision(False))  # lost to the champion: the canary
    assert loaded_and_labels(written(store)) == ([1, 2], {"stable": 1, "canary": 2})
    store.promote(store.save(model, decision(True)), "beat the champion")
    assert loaded_and_labels(written(store)) == ([3], {"stable": 3})
    assert written(store).model_config_list.config[0].base_path == "/models/score_beater"


def test_a_damaged_champion_keeps_the_previous_served_config_and_says_so_in_one_line(tmp_path: Path, exported, capsys):
    store = SavedModelStore(LocalBlobStore(tmp_path / "store"), "score_beater")
    served = tmp_path / "served"
    store.save(exported, decision(True))
    point_champion(store, "1")
    args = ["--model", "score_beater", "--store", str(tmp_path / "store"), "--sync-to", str(served)]
    assert tf_serving_sync.main(args) == 0
    before = (served / "score_beater" / CONFIG_FILE).read_text()
    store.save(exported, decision(True))
    point_champion(store, "2")
    store.blobs.put("score_beater/2/variables/variables.index", b"tampered")  # after its checksums were recorded
    assert tf_serving_sync.main(args) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "score_beater version 2" in error and "promote another version" in error
    assert (served / "score_beater" / CONFIG_FILE).read_text() == before  # TF Serving keeps serving version 1
    assert not (served / "score_beater" / "2").exists()


@pytest.mark.slow
def test_rest_scorer_splits_a_batch_the_service_would_refuse_as_too_large():
    from shot_platform.core.serving.tf_app import MAX_INSTANCES
    from shot_platform.free_throws.flow.scorers import MAX_REQUEST_INSTANCES

    assert MAX_REQUEST_INSTANCES <= MAX_INSTANCES  # the embedded service's per-request limit
    with stand_in({"stable": 1}) as (url, predicted):
        scorer = RestScorer(url, timeout=5, max_instances=4)
        batch = pd.DataFrame({name: np.arange(10, dtype=float) for name in INPUT_NAMES})
        assert scorer.predict(batch).tolist() == [4.0] * 8 + [2.0] * 2  # in order, 4 + 4 + 2
        assert len(predicted) == 3 and scorer.calls == 1 and scorer.rows == 10
    with stand_in({"stable": 1}, short=1) as (url, _), pytest.raises(ScorerError, match="3 outputs for 4 instances"):
        RestScorer(url, timeout=5, max_instances=4).predict(batch)
