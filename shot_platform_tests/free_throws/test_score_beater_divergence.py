"""The service does not hide a score_beater champion it cannot serve (issue 13, item 11): a
damaged pointer or a version that fails to load shows as ``diverged`` in ``/readyz`` and in
``score_beater_model_divergence``, like the shot model, and is logged once, not at every poll."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import pytest
import requests

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.saved_model_server import SavedModelServer
from shot_platform_tests.saved_models import export_model
from shot_platform_tests.service_process import BIN, metric_samples, running_service, wait_for

pytestmark = pytest.mark.slow  # SavedModels exported in a child process; a service process

POINTER = "score_beater/champion.json"


class CountingBlobs(LocalBlobStore):
    """The real local store, counting reads of artifact files (to see what a poll fetches)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.version_reads = 0

    def get(self, key: str) -> bytes:
        if not key.endswith(("champion.json", "metadata.json")):  # the pointer check reads both at every poll
            self.version_reads += 1
        return super().get(key)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """score_beater versions 1 (champion) and 2 (its variables cut short: fails its checksum)."""
    root = tmp_path_factory.mktemp("home") / "models"
    store = SavedModelStore(LocalBlobStore(root), "score_beater")
    exports = tmp_path_factory.mktemp("exports")
    for seed in (1, 2):
        export_model(exports / str(seed), seed=seed)
        store.save(exports / str(seed))
    store.blobs.put(POINTER, json.dumps({"version": "1"}).encode())
    damaged = root / "score_beater" / "2" / "variables" / "variables.data-00000-of-00001"
    damaged.write_bytes(damaged.read_bytes()[:50])
    return root


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "score_beater" in r.getMessage()]


def test_a_failing_version_is_fetched_and_logged_once_not_at_every_poll(
    healthy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    root = tmp_path / "models"
    shutil.copytree(healthy, root)
    blobs = CountingBlobs(root)
    blobs.put(POINTER, json.dumps({"version": "2", "promoted_at": "first"}).encode())  # by hand, past promote
    statuses: list[dict] = []
    server = SavedModelServer(SavedModelStore(blobs, "score_beater"), on_status=statuses.append)
    caplog.set_level(logging.INFO, logger="shot_platform")

    for _ in range(20):
        assert server.refresh() is False
    assert len(warnings(caplog)) == 1, warnings(caplog)
    assert (
        "registry's champion is 2" in warnings(caplog)[0]
        and "does not match its recorded sha256" in warnings(caplog)[0]
    )
    reads_after_first_poll = blobs.version_reads
    server.refresh()
    assert blobs.version_reads == reads_after_first_poll  # the same pointer is not fetched again
    readiness = server.readiness()
    assert readiness["diverged"] is True and readiness["registry_champion"] == 2
    assert readiness["state"] == "loading failed" and readiness["served_version"] is None
    assert len(statuses) == 1 and statuses[0]["diverged"] is True  # the metric callback too: once per change

    # Rewriting the pointer (what `models promote` does, even for the same version) retries once.
    blobs.put(POINTER, json.dumps({"version": "2", "promoted_at": "again"}).encode())
    server.refresh()
    assert blobs.version_reads > reads_after_first_poll
    assert len(warnings(caplog)) == 1  # same situation, same message: still one warning

    blobs.put(POINTER, b'{"version": "2')  # damaged by hand
    for _ in range(10):
        server.refresh()
    assert len(warnings(caplog)) == 2 and "is not valid JSON" in warnings(caplog)[1]
    assert server.readiness()["diverged"] is True and "is not valid JSON" in server.readiness()["error"]
    assert len(statuses) == 2

    (root / POINTER).unlink()  # no pointer at all: nothing trained yet, nothing wrong
    server.refresh()
    assert server.readiness() | {"error": None} == {
        "state": "no model",
        "version": None,
        "served_version": None,
        "registry_champion": None,
        "diverged": False,
        "last_error": None,
        "error": None,
    }
    assert statuses[-1]["diverged"] is False


def readiness(url: str) -> tuple[int, dict]:
    answer = requests.get(f"{url}/readyz", timeout=5)
    return answer.status_code, answer.json()["models"]["score_beater"]


def divergence(url: str) -> list[float]:
    return [value for _, value in metric_samples(url, "score_beater_model_divergence")]


def test_the_service_reports_a_damaged_pointer_and_an_unloadable_champion_as_diverged(healthy: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(healthy, home / "models")
    blobs = LocalBlobStore(home / "models")
    log = tmp_path / "service.log"
    env = {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.2"}
    with running_service([str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"], env, log) as url:
        wait_for(lambda: readiness(url)[1]["state"] == "serving", timeout=90)
        status, entry = readiness(url)
        assert status == 200 and entry["version"] == 1 and entry["diverged"] is False
        assert entry["registry_champion"] == 1 and entry["last_error"] is None
        assert divergence(url) == [0.0]

        blobs.put(POINTER, b'{"version": "1')  # an interrupted hand edit
        status, entry = wait_for(lambda: (r := readiness(url))[1]["diverged"] and r)
        assert status == 200 and entry["state"] == "serving" and entry["version"] == 1  # it keeps serving 1
        assert entry["registry_champion"] is None and "is not valid JSON" in entry["error"]
        assert divergence(url) == [1.0]

        blobs.put(POINTER, json.dumps({"version": "2"}).encode())  # a version that fails its checksum
        status, entry = wait_for(lambda: (r := readiness(url))[1]["registry_champion"] == 2 and r)
        assert entry["version"] == 1 and entry["diverged"] is True
        assert "version 2 did not load" in entry["error"] and "\n" not in entry["error"]
        assert divergence(url) == [1.0]
        time.sleep(2.0)  # ten more polls
        text = log.read_text()
        assert text.count("version 2 did not load") == 1, text[-3000:]
        assert text.count("is not valid JSON") == 1, text[-3000:]

        blobs.put(POINTER, json.dumps({"version": "1"}).encode())  # repaired
        wait_for(lambda: not readiness(url)[1]["diverged"])
        assert divergence(url) == [0.0]
