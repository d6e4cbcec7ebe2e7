"""score_beater served by the real service process over HTTP: TF Serving's REST API (both request
formats, status and metadata shapes, 400s from the input rules, 404s), version routing, hot swap
after `models promote`, /readyz, and the shot endpoints without a score_beater model."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import requests
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.features.history import inputs_at
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.schema import season_label
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.saved_models import PROBE, VALID_INSTANCE, export_model
from shot_platform_tests.service_process import BIN, running_service, wait_for

pytestmark = pytest.mark.slow  # service processes, SavedModels exported in child processes

PREDICT = "/v1/models/score_beater:predict"
VERSION_1 = "/v1/models/score_beater/versions/1:predict"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, free_throw_file: Path) -> Path:
    """Two score_beater versions (1 the champion, 2 stored), no shot model; synthetic free throws
    ingested and their point-in-time player features built."""
    home = tmp_path_factory.mktemp("score_beater_home")
    invoke(home, "ingest", "free-throws", str(free_throw_file))
    invoke(home, "materialize", "--select", "raw_free_throws,free_throw_player_features")
    exports = tmp_path_factory.mktemp("exports")
    store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
    for seed in (1, 2):
        trained = export_model(exports / str(seed), seed=seed)
        version = store.save(exports / str(seed), {"probe_probabilities": trained.tolist()})
    store.promote("1", "test: first")
    assert version == "2"
    return home


@pytest.fixture(scope="module")
def service(home: Path, tmp_path_factory: pytest.TempPathFactory):
    env = {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.3"}
    log = tmp_path_factory.mktemp("logs") / "service.log"
    with running_service([str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"], env, log) as url:
        wait_for(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, timeout=60)
        yield url


def invoke(home: Path, *args: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output


def trained(home: Path, version: str) -> np.ndarray:
    """The probe's probabilities as the in-memory Keras model computed them before export."""
    return np.array(
        SavedModelStore(LocalBlobStore(home / "models"), "score_beater").metadata(version)["probe_probabilities"]
    )


def probe_instances(count: int = 8) -> list[dict]:
    return [{name: float(PROBE[name][i]) for name in INPUT_NAMES} for i in range(count)]


def promote(home: Path, version: str) -> None:
    invoke(home, "models", "promote", "--model", "score_beater", version)


def test_row_and_columnar_formats_answer_the_trained_probabilities(service: str, home: Path):
    expected = trained(home, "1")[:8]
    rows = requests.post(service + PREDICT, json={"instances": probe_instances()}, timeout=10)
    assert rows.status_code == 200, rows.text
    assert rows.headers["content-type"] == "application/json"
    body = rows.json()
    assert list(body) == ["predictions"]  # one output: its name is omitted
    np.testing.assert_allclose(body["predictions"], expected, atol=1e-6)

    columns = {name: [float(v) for v in PROBE[name][:8]] for name in INPUT_NAMES}
    columnar = requests.post(service + PREDICT, json={"inputs": columns, "signature_name": "serving_default"})
    assert columnar.status_code == 200, columnar.text
    assert list(columnar.json()) == ["outputs"]
    np.testing.assert_allclose(columnar.json()["outputs"], expected, atol=1e-6)

    # Numbers are written as TF Serving writes a float: %g, else 9 significant digits.
    single = requests.post(service + PREDICT, json={"instances": [VALID_INSTANCE]}).text
    value = json.loads(single)["predictions"][0]
    assert f'"predictions":[{value:.9g}]' in single.replace(" ", "") or f"[{value:g}]" in single.replace(" ", "")

    versioned = requests.post(service + VERSION_1, json={"instances": probe_instances()})
    assert versioned.status_code == 200 and versioned.json() == body


def test_status_and_metadata_in_tf_serving_shapes(service: str):
    status = requests.get(service + "/v1/models/score_beater", timeout=10)
    assert status.status_code == 200
    available = {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    entries = status.json()["model_version_status"]
    # Versions newest first; a version served earlier in this module (the hot-swap test) is END.
    assert available in entries and [int(e["version"]) for e in entries] == sorted(
        (int(e["version"]) for e in entries), reverse=True
    )
    assert all(set(e) == {"version", "state", "status"} and e["state"] in ("AVAILABLE", "END") for e in entries)
    one = requests.get(service + "/v1/models/score_beater/versions/1", timeout=10)
    assert one.json() == {"model_version_status": [available]}

    metadata = requests.get(service + "/v1/models/score_beater/metadata", timeout=10)
    assert metadata.status_code == 200
    body = metadata.json()
    assert body["model_spec"] == {"name": "score_beater", "signature_name": "", "version": "1"}
    signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["method_name"] == "tensorflow/serving/predict"
    assert sorted(signature["inputs"]) == sorted(INPUT_NAMES)
    assert signature["inputs"]["made"] == {
        "dtype": "DT_FLOAT",
        "tensor_shape": {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False},
        "name": "serving_default_made:0",
    }
    (output,) = signature["outputs"].values()
    assert list(signature["outputs"]) == ["probability"] and output["dtype"] == "DT_FLOAT"
    assert output["tensor_shape"] == {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False}
    assert requests.get(service + "/v1/models/score_beater/versions/1/metadata").json() == body


def without(name: str) -> dict:
    return {key: value for key, value in VALID_INSTANCE.items() if key != name}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"instances": [dict(VALID_INSTANCE, made=-1)]}, "made: must be within 0..2000, got -1"),
        ({"instances": [VALID_INSTANCE, dict(VALID_INSTANCE, season_share=1.2)]}, "instance 1: season_share: must be"),
        ({"instances": [dict(VALID_INSTANCE, made=60)]}, "made must not exceed attempted"),
        ({"instances": [dict(VALID_INSTANCE, games=2.5)]}, "games: must be a whole number"),
        ({"inputs": {name: [value] for name, value in dict(VALID_INSTANCE, last_made=-3).items()}}, "last_made: must"),
        ({"instances": [without("made")]}, "keys must be equal to: attempted,before_last_attempted,before_last_games"),
        ({"inputs": {name: [value] for name, value in without("games").items()}}, "Missing named input: games"),
        ({"instances": [dict(VALID_INSTANCE, made="40")]}, 'Value: "40" Type: String is not of expected type: float'),
        ({"instances": [dict(VALID_INSTANCE, made=True)]}, "Type: True is not of expected type: float"),
        ({"instances": [dict(VALID_INSTANCE, made=None)]}, "Type: Null is not of expected type: float"),
        ({"instances": [VALID_INSTANCE, dict(VALID_INSTANCE, made=[40])]}, "Expecting shape [] but got: [1]"),
        ({"instances": [dict(VALID_INSTANCE, bogus=1)]}, "does not have named input: bogus"),
        ({"instances": [VALID_INSTANCE], "inputs": {}}, "expecting only one of 'inputs' or 'instances'"),
        ({"instances": []}, "No values in 'instances' array"),
        ({"rows": []}, "Missing 'inputs' or 'instances' key"),
        ({"instances": [VALID_INSTANCE], "signature_name": "nope"}, 'Serving signature name: "nope" not found'),
        ([VALID_INSTANCE], "Is not object"),
    ],
)
def test_bad_input_gets_a_400_with_the_reason(service: str, body, message: str):
    answer = requests.post(service + PREDICT, json=body, timeout=10)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"], answer.json()


def test_unparseable_json_is_a_400(service: str):
    answer = requests.post(service + PREDICT, data=b"{not json", timeout=10)
    assert answer.status_code == 400 and answer.json()["error"].startswith("JSON Parse error")


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("POST", "/v1/models/nope:predict", 404, "Servable not found for request: Latest(nope)"),
        ("POST", "/v1/models/score_beater/versions/7:predict", 404, "Specific(score_beater, 7)"),
        ("GET", "/v1/models/nope", 404, "Could not find any versions of model nope"),
        ("GET", "/v1/models/score_beater/versions/7", 404, "Could not find version 7 of model score_beater"),
        ("GET", "/v1/models/nope/metadata", 404, "Servable not found for request: Latest(nope)"),
        # server_core.cc:890-891: a label the model does not have (no canary here: version 2 has no gate decision)
        ("POST", "/v1/models/score_beater/labels/canary:predict", 400, "Unrecognized servable version label: canary"),
        ("POST", "/v1/models/score_beater:classify", 400, "key 'examples' is expected and was not found"),
        ("POST", "/v1/models/score_beater", 400, "Malformed request: POST /v1/models/score_beater"),
    ],
)
def test_unknown_models_and_versions(service: str, method: str, path: str, status: int, message: str):
    answer = requests.request(method, service + path, json={"instances": [VALID_INSTANCE]}, timeout=10)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]


def test_readyz_reports_each_model(service: str):
    ready = requests.get(service + "/readyz", timeout=10)
    assert ready.status_code == 200
    models = ready.json()["models"]
    assert models["score_beater"] == {
        "state": "serving",
        "version": 1,
        "served_version": 1,
        "registry_champion": 1,
        "diverged": False,
        "last_error": None,
    }
    assert models["shot_model"]["state"] == "no model"
    # No shot model: its endpoint says so, the score_beater routes are unaffected.
    assert requests.post(service + "/predict", json={}, timeout=10).status_code in (400, 503)


def test_promoted_version_is_served_without_restart(service: str, home: Path):
    instances = {"instances": probe_instances()}
    before = requests.post(service + PREDICT, json=instances, timeout=10).json()["predictions"]
    np.testing.assert_allclose(before, trained(home, "1")[:8], atol=1e-6)

    promote(home, "2")
    version_2 = service + "/v1/models/score_beater/versions/2"
    wait_for(lambda: '"AVAILABLE"' in requests.get(version_2, timeout=5).text)
    after = requests.post(service + PREDICT, json=instances, timeout=10).json()["predictions"]
    np.testing.assert_allclose(after, trained(home, "2")[:8], atol=1e-6)
    assert not np.allclose(after, before, atol=1e-4)
    status = requests.get(service + "/v1/models/score_beater", timeout=10).json()["model_version_status"]
    assert [(s["version"], s["state"]) for s in status] == [("2", "AVAILABLE"), ("1", "END")]
    assert requests.post(service + "/v1/models/score_beater/versions/1:predict", json=instances).status_code == 404
    assert requests.post(service + "/v1/models/score_beater/versions/2:predict", json=instances).status_code == 200
    assert requests.get(service + "/readyz", timeout=5).json()["models"]["score_beater"]["version"] == 2

    promote(home, "1")  # rollback
    wait_for(lambda: requests.get(service + "/readyz", timeout=5).json()["models"]["score_beater"]["version"] == 1)
    again = requests.post(service + PREDICT, json=instances, timeout=10).json()["predictions"]
    np.testing.assert_allclose(again, before, atol=1e-6)


def current_inputs(home: Path) -> pd.DataFrame:
    """What the store says each player's inputs are now, computed here from the stored features."""
    store = FreeThrowStore(f"sqlite:///{home / 'store.db'}")
    history = store.load(tables.free_throw_player_features)
    season = int(history["season"].max())
    return inputs_at(history, season, store.latest_games().get(season, 0)).set_index("player")


def test_players_are_scored_with_their_current_features_from_the_store(service: str, home: Path):
    current = current_inputs(home)
    names = current.index[:3].tolist()
    answer = requests.post(service + "/score_beater/predict", json={"players": names}, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == "1" and answer.headers["X-Model-Version"] == "1"
    assert [entry["player"] for entry in body["predictions"]] == names
    for entry in body["predictions"]:
        expected = current.loc[entry["player"]]
        assert entry["features"] == {name: float(expected[name]) for name in INPUT_NAMES}
        assert entry["season"] == season_label(int(expected["season"]))
        assert entry["games_played"] == int(expected["games_played"])
        # The same number as TF Serving's route for the same inputs.
        instance = {"instances": [entry["features"]]}
        served = requests.post(service + PREDICT, json=instance, timeout=10).json()["predictions"][0]
        assert entry["probability"] == pytest.approx(served, abs=1e-6)
        assert 0 <= entry["probability"] <= 1

    one = requests.post(service + "/score_beater/predict", json={"players": names[0]}, timeout=10)
    assert one.status_code == 200 and one.json() == body["predictions"][0]

    unknown = requests.post(service + "/score_beater/predict", json={"players": "Nobody Atall"}, timeout=10)
    assert unknown.status_code == 404 and "no free-throw record of 'Nobody Atall'" in unknown.json()["error"]
    mixed = requests.post(service + "/score_beater/predict", json={"players": [names[0], "Nobody Atall"]}).json()
    assert mixed["predictions"][0]["player"] == names[0] and "probability" in mixed["predictions"][0]
    assert mixed["predictions"][1] == {"player": "Nobody Atall", "error": unknown.json()["error"]}
    for bad in ({"players": []}, {"players": ""}, {}, {"players": 7}):
        assert requests.post(service + "/score_beater/predict", json=bad, timeout=10).status_code == 400, bad


def service_processes(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("SHOT_PLATFORM_HOME") == str(home):
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def tensorflow_loaded(process: psutil.Process) -> bool:
    return any("libtensorflow" in m.path for m in process.memory_maps(grouped=True))


def test_shot_endpoints_work_without_a_score_beater_model_and_without_tensorflow(trained_home: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    env = {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_MODEL_POLL_SECONDS": "0.3"}
    shot = {
        "SHOT_DIST": 12.5, "CLOSE_DEF_DIST": 3.1, "SHOT_CLOCK": 10.0, "DRIBBLES": 2, "TOUCH_TIME": 2.1,
        "PERIOD": 1, "GAME_CLOCK": "5:12", "PTS_TYPE": 2, "LOCATION": "H", "player_id": 201289,
        "CLOSEST_DEFENDER_PLAYER_ID": 202667,
    }  # fmt: skip
    with running_service([str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"], env, tmp_path / "log") as url:
        wait_for(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, timeout=60)
        answer = requests.post(f"{url}/predict", json=shot, timeout=10)
        assert answer.status_code == 200 and 0 < answer.json()["make_probability"] < 1
        models = requests.get(f"{url}/readyz", timeout=5).json()["models"]
        assert models["shot_model"]["state"] == "serving"
        assert models["score_beater"] == {
            "state": "no model",
            "version": None,
            "served_version": None,
            "registry_champion": None,
            "diverged": False,
            "last_error": None,
        }
        missing = requests.post(url + PREDICT, json={"instances": [VALID_INSTANCE]}, timeout=10)
        assert missing.status_code == 404 and "Latest(score_beater)" in missing.json()["error"]
        assert requests.get(url + "/v1/models/score_beater", timeout=10).status_code == 404
        processes = service_processes(home)
        assert processes, "the service processes were not found"
        assert not any(tensorflow_loaded(p) for p in processes), "TensorFlow was loaded without a score_beater model"


def test_tf_serving_clients_work_unchanged(service: str):
    """TF Serving's documented client calls against the real service and SavedModel
    (tensorflow/serving 9d981c5; the case-by-case checks are in test_tf_serving_conformance.py)."""
    # api_rest.md:470: `curl -d '{"instances": [...]}' -X POST .../v1/models/<name>:predict`, as requests does it.
    body = json.dumps({"instances": [VALID_INSTANCE]})
    expected = requests.post(service + PREDICT, data=body, timeout=10).json()["predictions"]
    # json_tensor.cc:349-356 and 609-649: scalars are fed as sent; score_beater's graph reshapes them.
    scalars = requests.post(service + PREDICT, data=json.dumps({"inputs": VALID_INSTANCE}), timeout=10)
    assert scalars.status_code == 200 and scalars.json() == {"outputs": expected}
    # evhttp_request.cc:261-266: gzip bodies are inflated; http_rest_api_util.h:33: the path ignores case.
    packed = gzip.compress(body.encode())
    answer = requests.post(
        service + "/V1/MODELS/score_beater:predict", data=packed, headers={"Content-Encoding": "gzip"}, timeout=10
    )
    assert answer.status_code == 200 and answer.json() == {"predictions": expected}
    bomb = gzip.compress(bytes(9 * 1024 * 1024))  # past the service's 8 MiB once inflated
    refused = requests.post(service + PREDICT, data=bomb, headers={"Content-Encoding": "gzip"}, timeout=10)
    assert refused.status_code == 413 and "inflates (Content-Encoding: gzip)" in refused.json()["error"]
    # get_model_status_impl.cc:82-107: a label does not narrow the status.
    status = requests.get(service + "/v1/models/score_beater/labels/stable", timeout=10)
    assert status.status_code == 200 and status.json() == requests.get(service + "/v1/models/score_beater").json()
