"""TF Serving's Predict handler on hostile bodies, in process (fast; the real service is in
test_service_hostile_bodies.py): whatever the bytes, a 200 or a 4xx with ``{"error": ...}``
in one line, and the instance limit checked before any array is built."""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings

from shot_platform.core.serving import tf_app, tf_rest
from shot_platform.core.serving.tf_app import MAX_INSTANCES, ServedSavedModel
from shot_platform.core.serving.tf_runtime import DEFAULT_SIGNATURE, Signature, TensorSpec
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.serving.validation import input_problem
from shot_platform_tests.asgi_server import serving
from shot_platform_tests.hostile_json import dumps, tf_body
from shot_platform_tests.saved_models import VALID_INSTANCE

FLOAT = np.dtype(np.float32)
INPUTS = {name: TensorSpec(name, "DT_FLOAT", FLOAT, (None,)) for name in sorted(INPUT_NAMES)}
OUTPUTS = {"probability": TensorSpec("probability", "DT_FLOAT", FLOAT, (None,))}


@dataclass
class StandInModel:
    """score_beater's signature; answers 0.5 per instance, as TF would for arrays of one length."""

    name: str = "score_beater"
    version: int = 1
    signatures: dict = field(default_factory=lambda: {DEFAULT_SIGNATURE: Signature(DEFAULT_SIGNATURE, INPUTS, OUTPUTS)})
    calls: list = field(default_factory=list)

    def call(self, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        lengths = {len(np.atleast_1d(value)) for value in inputs.values()}
        if len(lengths) != 1:
            raise ValueError(f"inputs of different lengths {sorted(lengths)}")  # TF: InvalidArgumentError
        self.calls.append(lengths.pop())
        return {"probability": np.full(self.calls[-1], 0.5, dtype=np.float32)}


SERVED = ServedSavedModel(server=None, validate=input_problem)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=tf_body())
def test_any_body_is_answered_200_or_400_with_a_json_error(body: bytes):
    status, answer = tf_app.predict(SERVED, StandInModel(), body)  # type: ignore[arg-type]
    assert status in (200, 400), answer[:300]
    document = json.loads(answer)
    if status == 400:
        assert isinstance(document["error"], str) and document["error"] and "\n" not in document["error"]
    else:
        assert len(document.get("predictions", document.get("outputs", []))) >= 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"instances": [' + dumps(VALID_INSTANCE)[:-1] + b', "made": ' + b"1" * 400 + b"}]}",  # the probe's
        b'{"inputs": {"made": [' + b"1" * 400 + b"]}}",
        b"[" * 5_000 + b"]" * 5_000,  # the probe's: the json module's recursion
        b"[" * 1_024 + b"]" * 1_024,  # orjson's own recursion
        b'{"instances": ' + b"[" * 990 + b"NaN" + b"]" * 990 + b"}",  # accepted by the parsers, deep for the checks
    ],
)
def test_the_probes_bodies_are_400s(body: bytes):
    status, answer = tf_app.predict(SERVED, StandInModel(), body)  # type: ignore[arg-type]
    assert status == 400, answer[:300]
    assert json.loads(answer)["error"]


def test_the_instance_limit_is_checked_before_any_array_is_built():
    model = StandInModel()
    over = MAX_INSTANCES + 1
    for document in (
        {"instances": [VALID_INSTANCE] * over},
        {"inputs": {name: [value] * over for name, value in VALID_INSTANCE.items()}},
        {"inputs": {name: [value] * (over if name == "made" else 1) for name, value in VALID_INSTANCE.items()}},
    ):
        status, answer = tf_app.predict(SERVED, model, dumps(document))  # type: ignore[arg-type]
        assert status == 400 and f"at most {MAX_INSTANCES:,} are served" in json.loads(answer)["error"]
    assert model.calls == []
    status, _ = tf_app.predict(SERVED, model, dumps({"instances": [VALID_INSTANCE] * MAX_INSTANCES}))  # type: ignore[arg-type]
    assert status == 200 and model.calls == [MAX_INSTANCES]
    with pytest.raises(tf_rest.RestError, match="at most 3 are served"):
        tf_rest.request_tensors({"instances": [VALID_INSTANCE] * 4}, INPUTS, max_instances=3)


class BrokenModel(StandInModel):
    def call(self, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise RuntimeError("a bug in the model call")


@pytest.mark.slow  # a server on loopback
def test_a_server_fault_is_a_json_500_and_a_logged_traceback(caplog: pytest.LogCaptureFixture):
    served = {"score_beater": ServedSavedModel(SimpleNamespace(model=BrokenModel()), input_problem)}
    with serving(tf_app.tf_serving_app(lambda: served)) as url, caplog.at_level(logging.ERROR):
        answer = requests.post(f"{url}/models/score_beater:predict", json={"instances": [VALID_INSTANCE]}, timeout=30)
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/json"
    assert answer.json() == {"error": "internal error, logged by the service: retry, or report it"}
    failure = next(record for record in caplog.records if "failed" in record.getMessage())
    assert "RuntimeError: a bug in the model call" in "".join(traceback.format_exception(*failure.exc_info))
