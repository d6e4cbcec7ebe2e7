"""Hostile request bodies against the real service: every TF Serving route, ``/predict`` and
``/score_beater/predict`` answer a client error as a 4xx with ``{"error": ...}``, never a 5xx.

Hypothesis generates the bodies: JSON nested thousands of levels deep, integers of hundreds or
thousands of digits, floats out of range, NaN, strings, nulls, wrong types, unicode (lone
surrogates included), duplicate keys, bytes that are not UTF-8, each alone or inside an
otherwise valid request. One service (both models loaded) serves the whole module.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.tf_app import MAX_INSTANCES
from shot_platform_tests.hostile_json import MEDIA, SHOT, dumps, players_body, shot_body, tf_body
from shot_platform_tests.saved_models import VALID_INSTANCE, export_model
from shot_platform_tests.service_process import BIN, running_service, wait_for

pytestmark = pytest.mark.slow  # a service process, a shot model trained and a SavedModel exported

PREDICT = "/v1/models/score_beater:predict"
TF_ROUTES = [
    PREDICT,
    "/v1/models/score_beater/versions/1:predict",
    "/v1/models/score_beater/versions/9:predict",
    "/v1/models/score_beater/labels/stable:predict",
    "/v1/models/score_beater:classify",
    "/v1/models/unknown:predict",
]
HYPOTHESIS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def invoke(home: Path, *args: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOT_PLATFORM_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, synthetic_file: Path, free_throw_file: Path) -> Path:
    """A shot model and score_beater version 1 as champions, free-throw player features built."""
    home = tmp_path_factory.mktemp("hostile_home")
    export = tmp_path_factory.mktemp("export") / "1"
    with ThreadPoolExecutor(1) as pool:  # the SavedModel is built in a child process meanwhile
        exported = pool.submit(export_model, export, 1)
        invoke(home, "ingest", "shots", str(synthetic_file))
        invoke(home, "ingest", "free-throws", str(free_throw_file))
        assets = "raw_shots,player_features,shot_model,raw_free_throws,free_throw_player_features"
        invoke(home, "materialize", "--select", assets)
        exported.result()
    store = SavedModelStore(LocalBlobStore(home / "models"), "score_beater")
    store.promote(store.save(export), "test")
    shutil.rmtree(export)
    return home


@pytest.fixture(scope="module")
def service(home: Path, tmp_path_factory: pytest.TempPathFactory):
    env = {"SHOT_PLATFORM_HOME": str(home)}
    log = tmp_path_factory.mktemp("logs") / "service.log"
    with running_service([str(BIN / "shot-platform"), "serve", "--host", "127.0.0.1"], env, log) as url:

        def both_serving() -> bool:
            models = requests.get(f"{url}/readyz", timeout=5).json()["models"]
            return models["shot_model"]["state"] == models["score_beater"]["state"] == "serving"

        wait_for(both_serving, timeout=90)
        yield url


@pytest.fixture(scope="module")
def session() -> requests.Session:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def player(home: Path) -> str:
    """A player the store has current features for (so /score_beater/predict scores, not only refuses)."""
    from sqlalchemy import func, select

    from shot_platform.free_throws.store import FreeThrowStore, tables

    features = tables.free_throw_player_features
    store = FreeThrowStore(f"sqlite:///{home / 'store.db'}")
    with store.engine.connect() as connection:
        season = connection.execute(select(func.max(features.c.season))).scalar_one()
        return connection.execute(select(features.c.player).where(features.c.season == season).limit(1)).scalar_one()


def post(session: requests.Session, url: str, body: bytes, media: str = "application/json") -> requests.Response:
    return session.post(url, data=body, headers={"Content-Type": media}, timeout=30)


def assert_answered(answer: requests.Response) -> None:
    """Never a server error; a client error is a JSON object with a one-line "error"."""
    assert answer.status_code < 500, f"{answer.status_code}: {answer.text[:500]}"
    if answer.status_code >= 400:
        body = answer.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], answer.text[:500]
        assert "Traceback" not in body["error"]


@pytest.mark.parametrize("route", TF_ROUTES)
@HYPOTHESIS
@given(body=tf_body(), media=MEDIA)
def test_tf_serving_routes_answer_hostile_bodies_with_a_4xx_json_error(service, session, route, body, media):
    assert_answered(post(session, service + route, body, media))


@HYPOTHESIS
@given(body=shot_body(), media=MEDIA)
def test_predict_answers_hostile_bodies_with_a_4xx_json_error(service, session, body: bytes, media: str):
    assert_answered(post(session, service + "/predict", body, media))


@HYPOTHESIS
@given(body=players_body(), media=MEDIA)
def test_score_beater_predict_answers_hostile_bodies_with_a_4xx_json_error(service, session, body: bytes, media: str):
    assert_answered(post(session, service + "/score_beater/predict", body, media))


# --- the probe's two examples, and what valid requests still get --------------------------


def test_a_400_digit_integer_is_a_parse_error_in_either_format(service, session):
    big = b"1" * 400
    row = dumps(VALID_INSTANCE)[:-1] + b', "made": ' + big + b"}"
    columns = dumps({name: [value] for name, value in VALID_INSTANCE.items()})[:-1] + b', "made": [' + big + b"]}"
    for body in (b'{"instances": [' + row + b"]}", b'{"inputs": ' + columns + b"}"):
        answer = post(session, service + PREDICT, body)
        assert answer.status_code == 400, answer.text
        # TF Serving's parser refuses the number itself (util/json_tensor.cc:486-490 at tensorflow/serving 9d981c5).
        offset = body.index(big)
        assert answer.json()["error"] == f"JSON Parse error: Number too big to be stored in double. at offset: {offset}"


@pytest.mark.parametrize("depth", [1_000, 1_100, 5_000, 50_000])
def test_json_nested_thousands_of_levels_is_a_400(service, session, depth: int):
    for body in (b"[" * depth + b"]" * depth, b'{"instances": ' + b"[" * depth + b"1" + b"]" * depth + b"}"):
        for path in (PREDICT, "/predict", "/score_beater/predict"):
            answer = post(session, service + path, body)
            assert answer.status_code == 400, (path, depth, answer.text[:300])
            assert answer.json()["error"]


def test_valid_requests_are_still_answered(service, session, player: str):
    answer = post(session, service + PREDICT, dumps({"instances": [VALID_INSTANCE]}))
    assert answer.status_code == 200 and 0 < answer.json()["predictions"][0] < 1
    assert post(session, service + "/predict", dumps(SHOT)).status_code == 200
    scored = post(session, service + "/score_beater/predict", dumps({"players": player}))
    assert scored.status_code == 200 and 0 <= scored.json()["probability"] <= 1


def test_at_most_max_instances_per_request_in_either_format(service, session):
    largest = post(session, service + PREDICT, dumps({"instances": [VALID_INSTANCE] * MAX_INSTANCES}))
    assert largest.status_code == 200 and len(largest.json()["predictions"]) == MAX_INSTANCES
    over = MAX_INSTANCES + 1
    columns = {name: [value] * over for name, value in VALID_INSTANCE.items()}
    for body in ({"instances": [VALID_INSTANCE] * over}, {"inputs": columns}):
        answer = post(session, service + PREDICT, dumps(body))
        assert answer.status_code == 400, answer.text[:300]
        assert f"at most {MAX_INSTANCES:,} are served per request" in answer.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/predict", 405, "GET is not allowed on /predict: use POST"),
        ("DELETE", "/score_beater/predict", 405, "use POST"),
        ("POST", "/nowhere", 404, "no route POST /nowhere: GET /docs.json lists the service's routes"),
        ("PUT", PREDICT, 400, "Malformed request: PUT " + PREDICT),  # TF Serving's answer
    ],
)
def test_wrong_methods_and_routes_are_json_errors(service, session, method: str, path: str, status: int, message):
    answer = session.request(method, service + path, timeout=30)
    assert answer.status_code == status and answer.headers["content-type"] == "application/json"
    assert message in answer.json()["error"]


@pytest.mark.parametrize("media", ["multipart/form-data; boundary=x", "application/vnd.bentoml+pickle"])
def test_bodies_that_are_not_json_get_a_415_on_the_json_apis(service, session, media: str):
    for path in ("/predict", "/score_beater/predict", "/shots"):
        answer = post(session, service + path, b"--x\r\n", media)
        assert answer.status_code == 415 and "send JSON" in answer.json()["error"], answer.text
    # TF Serving's routes read any body as JSON, whatever its Content-Type, as TF Serving does.
    assert post(session, service + PREDICT, dumps({"instances": [VALID_INSTANCE]}), media).status_code == 200


def test_predict_refuses_more_than_max_shots_before_validating_any():
    from pydantic import ValidationError

    from shot_platform.shots.serving.schema import MAX_SHOTS_PER_REQUEST, ShotsInput

    with pytest.raises(ValidationError) as refused:
        ShotsInput.model_validate_json(json.dumps([{}] * (MAX_SHOTS_PER_REQUEST + 1)))
    # One error for the length, none for the 10,001 empty shots: they were never validated.
    assert [(e["type"], e["ctx"]["max_length"]) for e in refused.value.errors()] == [("too_long", 10_000)]
    with pytest.raises(ValidationError) as invalid:
        ShotsInput.model_validate_json(json.dumps([{}] * MAX_SHOTS_PER_REQUEST))
    assert refused.value.error_count() == 1 < invalid.value.error_count()
