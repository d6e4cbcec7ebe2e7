"""TF Serving's JSON rules without a server: request parsing for one and several inputs, the
unwrapping of a single output, TF Serving's float text, and score_beater's vectorised input rules
agreeing with the one declaration in free_throws/inputs.py (hypothesis)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shot_platform.core.serving import tf_rest
from shot_platform.core.serving.tf_rest import COLUMNAR, ROW, RestError
from shot_platform.core.serving.tf_runtime import TensorSpec
from shot_platform.free_throws.inputs import INPUT_NAMES, INPUT_RULES, input_errors
from shot_platform.free_throws.serving.validation import _invalid_matrix, input_problem, invalid_instances

X = TensorSpec("x", "DT_FLOAT", np.dtype(np.float32), (None,))
IMAGE = TensorSpec("image", "DT_FLOAT", np.dtype(np.float32), (None, 2))
COUNT = TensorSpec("count", "DT_INT64", np.dtype(np.int64), (None,))


def test_one_input_takes_a_plain_list_of_instances_or_a_plain_inputs_value():
    form, tensors = tf_rest.request_tensors({"instances": [1, 2.5, 3]}, {"x": X})
    assert form == ROW and tensors["x"].tolist() == [1.0, 2.5, 3.0]
    form, tensors = tf_rest.request_tensors({"inputs": [[1, 2], [3, 4]]}, {"image": IMAGE})
    assert form == COLUMNAR and tensors["image"].shape == (2, 2)
    with pytest.raises(RestError, match="instances is a plain list, but expecting list of objects"):
        tf_rest.request_tensors({"instances": [1, 2]}, {"x": X, "count": COUNT})
    with pytest.raises(RestError, match="is not of expected type: int64"):
        tf_rest.request_tensors({"instances": [{"x": 1, "count": 2.5}]}, {"x": X, "count": COUNT})
    with pytest.raises(RestError, match=r"must have shape \[-1,2\]"):
        tf_rest.request_tensors({"instances": [[1, 2, 3]]}, {"image": IMAGE})
    with pytest.raises(RestError, match=r"^Encountered list at unexpected size: 1 at level: 1 expected size: 2$"):
        tf_rest.request_tensors({"inputs": [[1, 2], [3]]}, {"image": IMAGE})


def test_a_single_output_is_unwrapped_and_several_are_named():
    one = {"probability": np.array([0.25, 0.5], dtype=np.float32)}
    assert json.loads(tf_rest.predict_response(ROW, one)) == {"predictions": [0.25, 0.5]}
    assert json.loads(tf_rest.predict_response(COLUMNAR, one)) == {"outputs": [0.25, 0.5]}
    two = {"probability": np.array([0.25, 0.5], dtype=np.float32), "count": np.array([[1, 2], [3, 4]])}
    assert json.loads(tf_rest.predict_response(ROW, two)) == {
        "predictions": [{"count": [1, 2], "probability": 0.25}, {"count": [3, 4], "probability": 0.5}]
    }
    assert json.loads(tf_rest.predict_response(COLUMNAR, two)) == {
        "outputs": {"count": [[1, 2], [3, 4]], "probability": [0.25, 0.5]}
    }


def test_floats_are_written_as_tf_serving_writes_them():
    values = np.array([0.2, 1, 1e-7, 0.449812353, 9_000_000, np.nan, np.inf, -np.inf], dtype=np.float32)
    assert tf_rest._float_texts(values) == [
        "0.2",
        "1.0",
        "1e-07",
        "0.449812353",
        "9e+06",
        "NaN",
        "Infinity",
        "-Infinity",
    ]


@given(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_written_floats_read_back_exactly(values: list[float]):
    array = np.array(values, dtype=np.float32)
    texts = tf_rest._float_texts(array)
    assert np.array_equal(np.array([float(t) for t in texts], dtype=np.float32), array)
    assert all(len(t.lstrip("-").removesuffix(".0").replace(".", "").split("e")[0].strip("0")) <= 9 for t in texts)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/models/score_beater:predict", ("score_beater", None, None, "predict")),
        ("/v1/models/score_beater/versions/12:predict", ("score_beater", 12, None, "predict")),
        ("/V1/Models/a%20b:predict", ("a b", None, None, "predict")),
        ("/v1/models/m/labels/canary:regress", ("m", None, "canary", "regress")),
    ],
)
def test_paths_are_parsed_with_tf_servings_patterns(path: str, expected: tuple):
    target = tf_rest.parse_path("POST", path)
    assert (target.model, target.version, target.label, target.method) == expected


def test_malformed_paths_are_400():
    for method, path in (
        ("POST", "/v1/models/m"),
        ("GET", "/v1/models/m:predict"),
        ("POST", "/v1/models/m/versions/x:predict"),
    ):
        with pytest.raises(RestError) as error:
            tf_rest.parse_path(method, path)
        assert error.value.status == 400 and "Malformed request" in error.value.message
    with pytest.raises(RestError, match="Missing model name"):
        tf_rest.parse_path("GET", "/v1/models")


# score_beater's rules: the same verdict as input_errors, for any values.
number = st.one_of(
    st.integers(-5, 5000).map(float),
    st.floats(-10, 5000, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0, 0.5, 1230.0]),
)
instance = st.fixed_dictionaries({name: number for name in INPUT_NAMES})


@settings(max_examples=300, deadline=None)
@given(st.lists(instance, min_size=1, max_size=8))
def test_vectorised_rules_agree_with_input_errors(instances: list[dict[str, float]]):
    columns = {name: np.array([row[name] for row in instances]) for name in INPUT_NAMES}
    expected = [bool(input_errors(row)) for row in instances]
    assert _invalid_matrix(columns).tolist() == expected  # the numpy path, whatever the batch size
    assert invalid_instances(columns).tolist() == expected
    problem = input_problem("serving_default", columns)
    first_bad = next((i for i, row in enumerate(instances) if input_errors(row)), None)
    if first_bad is None:
        assert problem is None
    else:
        assert f"instance {first_bad}: " + "; ".join(input_errors(instances[first_bad])) in problem


def test_every_declared_rule_is_enforced():
    valid = {rule.name: float(max(rule.minimum, 1)) for rule in INPUT_RULES} | {"season_share": 0.5}
    assert input_problem("serving_default", {k: np.array([v]) for k, v in valid.items()}) is None
    for rule in INPUT_RULES:
        for broken in (rule.minimum - 1, rule.maximum + 1):
            columns = {k: np.array([v]) for k, v in dict(valid, **{rule.name: broken}).items()}
            assert f"{rule.name}: must be within" in input_problem("serving_default", columns)
