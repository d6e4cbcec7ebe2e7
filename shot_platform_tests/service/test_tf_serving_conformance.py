"""TF Serving's REST API, case by case, as TensorFlow Serving's own sources say it answers.

Every expectation cites tensorflow/serving at 9d981c5 (the commit tf_rest.py follows), file and
line: ``g3doc/api_rest.md``, ``model_servers/http_rest_api_handler.cc`` and ``_test.cc``,
``model_servers/http_rest_api_util.{h,cc}``, ``util/json_tensor.cc`` and ``_test.cc``,
``model_servers/get_model_status_impl.cc``, ``servables/tensorflow/classifier.cc``,
``util/net_http/server/internal/evhttp_request.cc``. The routes run in process, mounted at /v1
behind the service's own middlewares (body limit with gzip, case-insensitive prefix) over real
HTTP on loopback; a stand-in with score_beater's signature answers 0.5 per instance. The last
test runs the real service with the real SavedModel. What is deliberately ours (input rules,
limits) is in docs/tf_serving_differences.md and checked at the end of this module.
"""

from __future__ import annotations

import gzip
import json
import math
import tracemalloc
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Mount

from shot_platform.core.serving import tf_app, tf_rest
from shot_platform.core.serving.http import BodySizeLimit, BodyTooLarge, CaseInsensitivePrefix, inflate_gzip
from shot_platform.core.serving.saved_model_server import VersionStatus
from shot_platform.core.serving.tf_app import MAX_INSTANCES, ServedSavedModel
from shot_platform.core.serving.tf_rest import RestError
from shot_platform.core.serving.tf_runtime import TensorSpec
from shot_platform.free_throws.serving.validation import input_problem
from shot_platform_tests.asgi_server import serving
from shot_platform_tests.saved_models import VALID_INSTANCE
from shot_platform_tests.service.test_tf_app_bodies import StandInModel

LIMIT = 1024 * 1024  # the body limit of the in-process stack (the service's is 8 MiB)
PREDICT = "/v1/models/score_beater:predict"


class RecordingModel(StandInModel):
    """The stand-in, keeping the arrays each call received."""

    def call(self, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.received = {name: np.asarray(value).tolist() for name, value in inputs.items()}
        return super().call(signature, inputs)


def _served(model: StandInModel, validate: bool) -> ServedSavedModel:
    server = SimpleNamespace(model=model, statuses={1: VersionStatus("AVAILABLE")})
    return ServedSavedModel(server, input_problem if validate else None)  # type: ignore[arg-type]


def _stack(models: dict[str, ServedSavedModel]):  # type: ignore[no-untyped-def]
    """The TF routes as the service mounts them (service.py), behind the same middlewares."""
    routes = Starlette(routes=[Mount("/v1", app=tf_app.tf_serving_app(lambda: models))])
    return CaseInsensitivePrefix(BodySizeLimit(routes, max_bytes=LIMIT, inflate_under=("/v1/",)), prefix="/v1/")


@pytest.fixture(scope="module")
def model() -> RecordingModel:
    return RecordingModel()


@pytest.fixture(scope="module")
def url(model: RecordingModel) -> Iterator[str]:
    """score_beater with its input rules, and "plain": the same signature without them."""
    models = {"score_beater": _served(model, validate=True), "plain": _served(model, validate=False)}
    with serving(_stack(models)) as base:
        yield base


def post(url: str, path: str, body: bytes | str, **headers: str) -> requests.Response:
    return requests.post(url + path, data=body, headers=headers, timeout=30)


def error_of(answer: requests.Response) -> str:
    """api_rest.md:12-18: an error is a JSON object with one key, "error" (http_rest_api_util.cc:36-38: JSON)."""
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    return body["error"]


def instances(*rows: dict) -> str:
    return json.dumps({"instances": list(rows)})


# --- item 1: shapes ----------------------------------------------------------------------------


@pytest.mark.slow  # a server on loopback
@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        # json_tensor.cc:349-356: a value that is not a list is a tensor without dimensions, and
        # json_tensor.cc:609-649 feeds each columnar input as sent; score_beater's graph reshapes
        # every input to [-1] (free_throws/model.py), so the session scores it.
        (json.dumps({"inputs": VALID_INSTANCE}), "outputs", [0.5]),
        (json.dumps({"inputs": {k: [[v]] for k, v in VALID_INSTANCE.items()}}), "outputs", [0.5]),
        # json_tensor.cc:594-604: row values of shape [1] batch to [2, 1], reshaped the same way.
        (instances(*[{k: [v] for k, v in VALID_INSTANCE.items()}] * 2), "predictions", [0.5, 0.5]),
    ],
)
def test_inputs_the_graph_reshapes_are_scored(url: str, model: RecordingModel, body: str, key: str, expected: list):
    answer = post(url, PREDICT, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {key: expected}
    assert model.received["made"] == [40.0] * len(expected)


@pytest.mark.slow  # a server on loopback
def test_instances_of_different_shapes_are_refused_in_tf_servings_words(url: str):
    # json_tensor.cc:465-468 and 562-566; json_tensor_test.cc:688-694 ("instances": [1, [1]]).
    mixed = instances(VALID_INSTANCE, dict(VALID_INSTANCE, made=[40.0]))
    assert error_of(post(url, PREDICT, mixed)) == (
        "Failed to process element: 1 key: made of 'instances' list. "
        "Error: INVALID_ARGUMENT: Expecting shape [] but got: [1]"
    )
    # json_tensor.cc:462-464; json_tensor_test.cc:672-678: another number of values.
    sizes = instances(dict(VALID_INSTANCE, made=[40.0]), dict(VALID_INSTANCE, made=[40.0, 41.0]))
    assert error_of(post(url, PREDICT, sizes)) == (
        "Failed to process element: 1 key: made of 'instances' list. "
        "Error: INVALID_ARGUMENT: Expecting tensor size: 1 but got: 2"
    )


@pytest.mark.slow  # a server on loopback
def test_ragged_and_misplaced_columnar_values_name_the_level(url: str):
    ragged = json.dumps({"inputs": dict(VALID_INSTANCE, made=[[1.0, 2.0], [3.0]])})
    # json_tensor.cc:422-428
    assert error_of(post(url, PREDICT, ragged)) == "Encountered list at unexpected size: 1 at level: 1 expected size: 2"
    deeper = json.dumps({"inputs": dict(VALID_INSTANCE, made=[1.0, [2.0]])})
    # json_tensor.cc:416-420
    assert error_of(post(url, PREDICT, deeper)) == "Encountered list at unexpected level: 1 expected < 1"
    shallower = json.dumps({"inputs": dict(VALID_INSTANCE, made=[[1.0], 2.0])})
    # json_tensor.cc:395-403
    assert error_of(post(url, PREDICT, shallower)) == (
        "JSON Value: 2.0 found at incorrect level: 2 in the JSON DOM. Expected at level: 2"
    )
    typed = json.dumps({"inputs": dict(VALID_INSTANCE, made=[1.0, "x"])})
    # json_tensor.cc:262-267 and 293-296
    assert error_of(post(url, PREDICT, typed)) == 'JSON Value: "x" Type: String is not of expected type: float'


# --- item 2: compressed bodies ----------------------------------------------------------------


@pytest.mark.slow  # a server on loopback
def test_a_gzip_body_is_inflated(url: str):
    # evhttp_request.cc:175-183 and 261-266: a Content-Encoding containing "gzip" is inflated first.
    body = gzip.compress(instances(VALID_INSTANCE).encode())
    answer = post(url, PREDICT, body, **{"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"predictions": [0.5]}


@pytest.mark.slow  # a server on loopback
def test_a_gzip_bomb_is_a_413_by_its_inflated_size(url: str):
    body = gzip.compress(b" " * (LIMIT + 1))  # a few kilobytes on the wire
    assert len(body) < LIMIT // 100
    answer = post(url, PREDICT, body, **{"Content-Encoding": "gzip"})
    assert answer.status_code == 413
    assert f"inflates (Content-Encoding: gzip) to more than the limit of {LIMIT:,} bytes" in error_of(answer)
    broken = post(url, PREDICT, body[: len(body) // 2], **{"Content-Encoding": "gzip"})
    assert broken.status_code == 400 and "not valid gzip" in error_of(broken)


def test_a_bomb_is_never_inflated_in_full():
    bomb = gzip.compress(bytes(64 * LIMIT), compresslevel=9)  # 64 MiB of zeros in about 64 KiB
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            inflate_gzip(bomb, LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * LIMIT
    assert inflate_gzip(gzip.compress(b"x" * LIMIT), LIMIT) == b"x" * LIMIT


# --- item 3: a label on the status route --------------------------------------------------------


@pytest.mark.slow  # a server on loopback
def test_status_ignores_a_label(url: str):
    # http_rest_api_handler.cc:180-201 and get_model_status_impl.cc:82-107: only a version narrows.
    answer = requests.get(f"{url}/v1/models/score_beater/labels/stable", timeout=30)
    assert answer.status_code == 200
    assert [v["version"] for v in answer.json()["model_version_status"]] == ["1"]
    missing = requests.get(f"{url}/v1/models/unknown/labels/stable", timeout=30)
    # get_model_status_impl.cc:96-101
    assert missing.status_code == 404 and error_of(missing) == "Could not find any versions of model unknown"


# --- item 4: parsing order and edge cases ---------------------------------------------------------


@pytest.mark.slow  # a server on loopback
def test_the_body_is_parsed_before_the_model_is_looked_up(url: str):
    # http_rest_api_handler.cc:152-171 and json_tensor.cc:661-666: ParseJson, then the servable.
    malformed = post(url, "/v1/models/unknown:predict", "{")
    assert malformed.status_code == 400
    assert error_of(malformed) == "JSON Parse error: Missing a name for object member. at offset: 1"
    # api_rest.md:491-497
    missing = post(url, "/v1/models/unknown:predict", instances(VALID_INSTANCE))
    assert missing.status_code == 404 and error_of(missing) == "Servable not found for request: Latest(unknown)"


@pytest.mark.slow  # a server on loopback
def test_classify_and_regress_as_tf_serving_answers_them(url: str):
    examples = json.dumps({"examples": [{"x": 1.0}]})
    for verb in ("classify", "regress"):
        # http_rest_api_handler.cc:111-150: the body first (json_tensor.cc:836-842), then the model.
        assert error_of(post(url, f"/v1/models/score_beater:{verb}", instances(VALID_INSTANCE))).endswith(
            "When method is classify, key 'examples' is expected and was not found"
        )
        unknown = post(url, f"/v1/models/unknown:{verb}", examples)
        assert unknown.status_code == 404 and error_of(unknown) == "Servable not found for request: Latest(unknown)"
        # classifier.cc:185-187 (regressor.cc:179-181): score_beater's signature has 13 inputs.
        answer = post(url, f"/v1/models/score_beater:{verb}", examples)
        assert answer.status_code == 400 and error_of(answer) == "Expected one input Tensor."
    # json_tensor.cc:796-801; json_tensor_test.cc:1458-1464
    bad = post(url, "/v1/models/score_beater:classify", json.dumps({"examples": [1]}))
    assert error_of(bad) == "Example must be JSON object but got JSON Number"


@pytest.mark.slow  # a server on loopback
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_version_beyond_int64_is_a_400(url: str, method: str):
    # http_rest_api_util.cc:115-121; http_rest_api_handler_test.cc:228-234
    version = str(2**64 - 1)
    suffix = ":predict" if method == "POST" else ""
    answer = requests.request(method, f"{url}/v1/models/score_beater/versions/{version}{suffix}", timeout=30)
    assert answer.status_code == 400 and error_of(answer) == f"Failed to convert version: {version} to numeric."


@pytest.mark.slow  # a server on loopback
def test_the_path_is_case_insensitive_and_the_verb_is_not(url: str):
    # http_rest_api_util.h:33 "(?i)/v1/.*" and http_rest_api_util.cc:31-34: the patterns ignore case,
    upper = post(url, "/V1/MODELS/score_beater:predict", instances(VALID_INSTANCE))
    assert upper.status_code == 200 and upper.json() == {"predictions": [0.5]}
    # http_rest_api_handler.cc:85-96: the verb is compared as written; nothing else is dispatched.
    shouted = post(url, "/v1/models/score_beater:PREDICT", instances(VALID_INSTANCE))
    assert error_of(shouted) == "Malformed request: POST /v1/models/score_beater:PREDICT"
    # http_rest_api_handler.cc:98: "/METADATA" is not "metadata": the status answers.
    status = requests.get(f"{url}/v1/models/score_beater/METADATA", timeout=30)
    assert status.status_code == 200 and "model_version_status" in status.json()


@pytest.mark.slow  # a server on loopback
def test_other_http_methods_are_malformed_requests(url: str):
    # http_rest_api_handler.cc:74-75 and 107: neither POST nor GET keeps "Malformed request".
    answer = requests.put(url + PREDICT, data=instances(VALID_INSTANCE), timeout=30)
    assert answer.status_code == 400 and error_of(answer) == f"Malformed request: PUT {PREDICT}"


@pytest.mark.slow  # a server on loopback
def test_json_as_rapidjson_reads_it(url: str, model: RecordingModel):
    # json_tensor.cc:483-485: kParseStopWhenDoneFlag (bytes after the document are not read) and
    # kParseNanAndInfFlag (NaN, Inf, Infinity; api_rest.md:383-406). "plain" has no input rules.
    row = {k: v for k, v in VALID_INSTANCE.items() if k != "made"}
    body = '{"instances": [{"made": Inf, ' + json.dumps(row)[1:] + "]} trailing bytes"
    assert post(url, "/v1/models/plain:predict", body).status_code == 200
    assert model.received["made"] == [math.inf]
    # rapidjson keeps every member; json_tensor.cc:633 FindMember returns the first.
    duplicate = '{"inputs": {"made": 1, "made": 2, ' + json.dumps(row)[1:] + "}"
    assert post(url, "/v1/models/plain:predict", duplicate).status_code == 200
    assert model.received["made"] == [1.0]
    # json_tensor.cc:486-490: rapidjson's message and offset.
    for number in ("1e400", "1" * 400):
        too_big = '{"inputs": {"made": ' + number + "}}"
        assert error_of(post(url, PREDICT, too_big)) == (
            "JSON Parse error: Number too big to be stored in double. at offset: 20"
        )
    assert error_of(post(url, PREDICT, '{"instances": [1 2]}')) == (
        "JSON Parse error: Missing a comma or ']' after an array element. at offset: 17"
    )
    assert error_of(post(url, PREDICT, "")) == "JSON Parse error: The document is empty"  # json_tensor.cc:474-476
    assert error_of(post(url, PREDICT, "[]")) == "JSON Value: [] Is not object"  # json_tensor.cc:498-500


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values, trailing=st.sampled_from(["", " ", "\n}", " garbage", "]]"]))
def test_valid_json_reads_as_written_whatever_follows(value: object, trailing: str):
    body = (json.dumps(value) + trailing).encode()
    assert tf_rest.parse_json(body) == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 9)), min_size=1, max_size=6))
def test_the_first_of_duplicate_keys_wins(pairs: list[tuple[str, int]]):
    body = ("{" + ",".join(f'"{key}": {value}' for key, value in pairs) + "}").encode()
    expected: dict = {}
    for key, value in pairs:
        expected.setdefault(key, value)
    assert tf_rest.parse_json(body) == expected
    assert list(tf_rest.parse_json(body)) == list(expected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_parse_or_give_a_one_line_parse_error(body: bytes):
    try:
        tf_rest.parse_json(body)
    except RestError as error:
        assert error.status == 400 and error.message.startswith("JSON ") and "\n" not in error.message


# --- deliberate differences (docs/tf_serving_differences.md) --------------------------------------


@pytest.mark.slow  # a server on loopback
def test_input_rules_refuse_what_tf_serving_would_score(url: str):
    body = instances(VALID_INSTANCE, dict(VALID_INSTANCE, made=math.nan))
    message = error_of(post(url, PREDICT, body))
    assert message.startswith("1 of 2 instances break score_beater's input rules: instance 1: made")


@pytest.mark.slow  # a server on loopback
def test_the_instance_limit_is_ours(url: str):
    body = json.dumps({"inputs": dict(VALID_INSTANCE, made=[40.0] * (MAX_INSTANCES + 1))})
    answer = post(url, PREDICT, body)
    assert answer.status_code == 400 and "split the batch into several requests" in error_of(answer)


X = TensorSpec("x", "DT_FLOAT", np.dtype(np.float32), (None,))
nested_numbers = st.recursive(
    st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False), lambda inner: st.lists(inner, max_size=3)
)


@settings(max_examples=300, deadline=None)
@given(nested_numbers)
def test_a_vector_input_takes_any_regular_nesting_and_names_the_first_irregularity(value: object):
    # json_tensor.cc:349-356 (shape from the first elements) and 392-436 (every list as long as the
    # first at its level, every number at the deepest level); the [-1] input flattened as
    # score_beater's graph reshapes it.
    try:
        regular = np.array(value, dtype=np.float64)
    except ValueError:
        regular = None
    try:
        _, tensors = tf_rest.request_tensors({"inputs": value}, {"x": X})
    except RestError as error:
        assert regular is None, error.message
        assert error.message.startswith(("Encountered list at unexpected", "JSON Value: ")), error.message
        assert "found at incorrect level" in error.message or "Encountered list" in error.message
    else:
        assert regular is not None and tensors["x"].tolist() == regular.reshape(-1).tolist()
