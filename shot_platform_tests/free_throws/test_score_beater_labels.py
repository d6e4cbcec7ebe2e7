"""TF Serving's version labels on the service's score_beater routes (issue 17, item 2): ``stable``
is the champion, ``canary`` the newest challenger that passed the gate and was not promoted; both
stay loaded, predict and metadata answer by label and by either version, and a promotion moves
``stable`` within one poll, in the same process. Real service processes over loopback HTTP; the
registry written through ``SavedModelStore`` (save, promote) as the training flow writes it."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform_tests.saved_models import PROBE, export_model
from shot_platform_tests.service_process import BIN, running_service, wait_for

pytestmark = pytest.mark.slow  # service processes, SavedModels exported in child processes

MODEL = "/v1/models/score_beater"
# What flow.retrain records for a challenger that beat the base rate and lost to the champion
# (tf_serving_config.is_canary); the same with a loss above the base rate is not a canary.
CANARY = {"promotion": {"promoted": False}, "metrics": {"log_loss": 0.5, "base_rate_log_loss": 0.69}}
NOT_CANARY = {"promotion": {"promoted": False}, "metrics": {"log_loss": 0.9, "base_rate_log_loss": 0.69}}
# server_core.cc:890-891 (tensorflow/serving 9d981c5c): GetModelVersionForLabel's INVALID_ARGUMENT,
# which http_rest_api_handler.cc answers with 400 (http_rest_api_handler_test.cc:310-319).
UNRECOGNIZED = "Unrecognized servable version label: {}"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, np.ndarray]]:
    """Three SavedModels with different weights, and their probabilities on the probe."""
    root = tmp_path_factory.mktemp("exports")
    return {seed: (root / str(seed), export_model(root / str(seed), seed=seed)) for seed in (1, 2, 3)}


def instances(count: int = 8) -> dict:
    return {"instances": [{name: float(PROBE[name][i]) for name in INPUT_NAMES} for i in range(count)]}


def predict(url: str, route: str) -> requests.Response:
    return requests.post(f"{url}{MODEL}{route}:predict", json=instances(), timeout=10)


def predictions(url: str, route: str) -> np.ndarray:
    answer = predict(url, route)
    assert answer.status_code == 200, answer.text
    return np.array(answer.json()["predictions"])


def metadata_version(url: str, route: str) -> str | None:
    answer = requests.get(f"{url}{MODEL}{route}/metadata", timeout=10)
    return answer.json()["model_spec"]["version"] if answer.status_code == 200 else None


def statuses(url: str) -> list[tuple[str, str]]:
    answer = requests.get(url + MODEL, timeout=10).json()["model_version_status"]
    return [(s["version"], s["state"]) for s in answer]


def entry(url: str) -> dict:
    return requests.get(f"{url}/readyz", timeout=5).json()["models"]["score_beater"]


def serve(home: Path, log: Path):
    env = {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.2"}
    return running_service([str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"], env, log)


def assert_unrecognized(answer: requests.Response, label: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": UNRECOGNIZED.format(label)}


def test_labels_resolve_and_a_promotion_moves_stable_without_a_restart(exports, tmp_path: Path):
    home = tmp_path / "home"
    store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
    store.save(exports[1][0])
    store.promote("1", "test: first champion")
    store.save(exports[2][0], CANARY)  # 2: the canary
    store.save(exports[3][0], NOT_CANARY)  # 3: worse than the base rate, never labelled nor loaded
    probe = {version: export[1][:8] for version, export in exports.items()}

    with serve(home, tmp_path / "service.log") as url:
        wait_for(lambda: entry(url).get("canary_version") == 2, timeout=90)
        ready = entry(url)
        assert ready["version"] == 1 and ready["diverged"] is False and "canary_error" not in ready
        assert statuses(url) == [("2", "AVAILABLE"), ("1", "AVAILABLE")]  # TF Serving's shape: both loaded

        # Labels and versions answer with their own weights; the unlabelled route is the champion.
        np.testing.assert_allclose(predictions(url, "/labels/stable"), probe[1], atol=1e-6)
        np.testing.assert_allclose(predictions(url, "/labels/canary"), probe[2], atol=1e-6)
        np.testing.assert_allclose(predictions(url, "/versions/2"), probe[2], atol=1e-6)
        np.testing.assert_allclose(predictions(url, ""), probe[1], atol=1e-6)  # not the highest loaded (2)
        assert not np.allclose(probe[1], probe[2], atol=1e-4)
        # get_model_metadata_impl.cc:60-62: model_spec names the version the label resolved to.
        assert (metadata_version(url, "/labels/stable"), metadata_version(url, "/labels/canary")) == ("1", "2")
        assert metadata_version(url, "") == "1" and metadata_version(url, "/versions/2") == "2"
        # Version 3 is stored but neither label: not loaded, TF Serving's NOT_FOUND for it.
        missing = predict(url, "/versions/3")
        assert missing.status_code == 404
        assert missing.json() == {"error": "Servable not found for request: Specific(score_beater, 3)"}
        # The label map's lookup is exact (server_core.cc:884): no case folding, no other names.
        for label in ("STABLE", "beta", "latest"):
            assert_unrecognized(predict(url, f"/labels/{label}"), label)
        assert_unrecognized(requests.get(f"{url}{MODEL}/labels/beta/metadata", timeout=10), "beta")
        assert_unrecognized(
            requests.post(f"{url}/v1/models/other/labels/stable:predict", json={}, timeout=10), "stable"
        )

        store.promote("2", "test: the canary won")  # what `shot-platform models promote` writes
        wait_for(lambda: metadata_version(url, "/labels/stable") == "2", timeout=3)  # a few polls, no restart
        np.testing.assert_allclose(predictions(url, "/labels/stable"), probe[2], atol=1e-6)
        np.testing.assert_allclose(predictions(url, ""), probe[2], atol=1e-6)
        assert_unrecognized(predict(url, "/labels/canary"), "canary")  # 3 is no canary, 2 is no longer one
        assert predict(url, "/versions/1").status_code == 404  # neither label: unloaded
        assert statuses(url) == [("2", "AVAILABLE"), ("1", "END")]
        ready = entry(url)
        assert ready["version"] == 2 and "canary_version" not in ready and ready["diverged"] is False

        store.save(exports[1][0], CANARY)  # 4: a new canary above the new champion
        wait_for(lambda: metadata_version(url, "/labels/canary") == "4", timeout=5)
        np.testing.assert_allclose(predictions(url, "/labels/canary"), probe[1], atol=1e-6)
        assert statuses(url) == [("4", "AVAILABLE"), ("2", "AVAILABLE"), ("1", "END")]
        assert entry(url)["canary_version"] == 4


def test_a_canary_that_does_not_load_is_reported_once_and_never_blocks_the_champion(exports, tmp_path: Path):
    home = tmp_path / "home"
    root = home / "models"
    store = SavedModelStore(LocalBlobStore(root), "score_beater")
    store.save(exports[1][0])
    store.promote("1", "test: first champion")
    store.save(exports[2][0], CANARY)
    damaged = root / "score_beater" / "2" / "variables" / "variables.data-00000-of-00001"
    damaged.write_bytes(damaged.read_bytes()[:50])  # fails its checksum
    log = tmp_path / "service.log"

    with serve(home, log) as url:
        wait_for(lambda: entry(url).get("canary_error"), timeout=90)
        ready = entry(url)
        assert ready["state"] == "serving" and ready["version"] == 1 and ready["diverged"] is False
        assert "canary version 2 did not load" in ready["canary_error"] and "sha256" in ready["canary_error"]
        assert "canary_version" not in ready and requests.get(f"{url}/readyz", timeout=5).status_code == 200
        np.testing.assert_allclose(predictions(url, "/labels/stable"), exports[1][1][:8], atol=1e-6)
        assert_unrecognized(predict(url, "/labels/canary"), "canary")  # a label never names an unloaded version
        status = requests.get(url + MODEL, timeout=10).json()["model_version_status"]
        assert [(s["version"], s["state"], s["status"]["error_code"]) for s in status] == [
            ("2", "END", "DATA_LOSS"),
            ("1", "AVAILABLE", "OK"),
        ]
        time.sleep(2.0)  # ten more polls: the failure is neither fetched nor logged again
        assert log.read_text().count("canary version 2 did not load") == 1, log.read_text()[-3000:]

        store.save(exports[3][0], CANARY)  # a newer canary replaces the broken one
        wait_for(lambda: entry(url).get("canary_version") == 3, timeout=5)
        assert "canary_error" not in entry(url)
        np.testing.assert_allclose(predictions(url, "/labels/canary"), exports[3][1][:8], atol=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40))
@example(label="\n")  # a decoded newline once fell through Starlette's routes to a plain 404
@example(label="a\nb")
def test_any_other_label_is_tf_servings_400(label: str, label_service: str):
    # The label arrives percent-encoded in the path and is decoded before the lookup
    # (http_rest_api_util.cc:90-131); only the two labels of the label map resolve.
    answer = requests.post(
        f"{label_service}{MODEL}/labels/{quote(label, safe='')}:predict", json=instances(1), timeout=10
    )
    if label == "stable":
        assert answer.status_code == 200
    else:
        assert_unrecognized(answer, label)


@pytest.fixture(scope="module")
def label_service(exports, tmp_path_factory: pytest.TempPathFactory):
    """A champion and no canary."""
    home = tmp_path_factory.mktemp("label_home")
    store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
    store.save(exports[1][0])
    store.promote("1", "test")
    with serve(home, tmp_path_factory.mktemp("logs") / "service.log") as url:
        wait_for(lambda: entry(url)["state"] == "serving", timeout=90)
        yield url
