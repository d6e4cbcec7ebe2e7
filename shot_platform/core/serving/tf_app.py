"""TF Serving's REST routes as a small Starlette app, mounted on the BentoML service at ``/v1``.

BentoML's ``@bentoml.api(route=...)`` cannot express ``/v1/models/<name>:predict`` (a colon
inside a path segment, and one route for every model and version), so the routes are one
catch-all mounted with BentoML's documented ``bentoml.asgi_app`` / ``Service.mount_asgi_app``;
requests still pass through BentoML's middlewares (metrics, tracing, access log). The path is
parsed with TF Serving's own regular expressions (:mod:`tf_rest`), in any case: the service
sends ``/V1/...`` here too (core/serving/http.py ``CaseInsensitivePrefix``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio.to_thread
import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shot_platform.core.serving import tf_rest
from shot_platform.core.serving.saved_model_server import SavedModelServer
from shot_platform.core.serving.tf_rest import RestError, Target, invalid, not_found
from shot_platform.core.serving.tf_runtime import DEFAULT_SIGNATURE, LoadedSavedModel

# This service's limit (TF Serving has none): a batch of players is hundreds of instances, and a
# request's memory grows with its instances. The body's byte limit is the service's
# (core/serving/http.py BodySizeLimit), the same for every route.
MAX_INSTANCES = 10_000
JSON = "application/json"
log = logging.getLogger("shot_platform.serving")

Validator = Callable[[str, Mapping[str, np.ndarray]], str | None]


@dataclass(frozen=True)
class ServedSavedModel:
    """A model the REST API serves, and its domain's input rules (None: the signature's types only)."""

    server: SavedModelServer
    validate: Validator | None = None


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


Resolve = Callable[[], tuple[ServedSavedModel, LoadedSavedModel]]


def _model(models: Mapping[str, ServedSavedModel], target: Target) -> tuple[ServedSavedModel, LoadedSavedModel]:
    """The version a request names: its label, its version, or (neither) the champion.

    A label resolves through the labels of the last poll, which name loaded versions only; an
    unknown label, one with no version now (no canary) and any label of an unknown model are TF
    Serving's INVALID_ARGUMENT (server_core.cc:873-892 ``GetModelVersionForLabel``, 400 over REST).
    Without a version TF Serving serves its latest loaded version; this service serves the champion
    (docs/tf_serving_differences.md)."""
    served = models.get(target.model)
    server = served.server if served else None
    if target.label is not None:
        loaded = server.by_label(target.label) if server else None
        if served is None or loaded is None:
            raise invalid(f"Unrecognized servable version label: {target.label}")
        return served, loaded
    loaded = None
    if server is not None:
        loaded = server.model if target.version is None else server.by_version(target.version)
    if served is None or loaded is None:
        raise not_found(f"Servable not found for request: {tf_rest.servable_request(target)}")
    return served, loaded


def _answer(work: Callable[[], bytes]) -> tuple[int, bytes]:
    """(status, JSON body), a refusal included: raised out of the worker thread, the error
    would be kept in a reference cycle (its traceback, the awaiting frame, the future holding it)
    with the frames that hold the parsed request, until the garbage collector's next full pass."""
    try:
        return 200, work()
    except RestError as error:
        return error.status, error.body()
    except RecursionError:  # lists nested deeper than Python's recursion limit, which orjson accepts
        return 400, invalid(tf_rest.TOO_DEEP).body()


def predict(served: ServedSavedModel, loaded: LoadedSavedModel, body: bytes) -> tuple[int, bytes]:
    """Parse, check, call the signature, format: one request of TF Serving's Predict API."""
    return answer_predict(lambda: (served, loaded), body)


def answer_predict(resolve: Resolve, body: bytes) -> tuple[int, bytes]:
    """A Predict request; the model is looked up after the body is parsed, as TF Serving does."""
    return _answer(lambda: _predict(resolve, body))


def answer_examples(resolve: Resolve, body: bytes) -> tuple[int, bytes]:
    """A Classify or Regress request, checked as TF Serving checks it; no model served here has a
    signature of one input for them (http_rest_api_handler.cc:111-150, classifier.cc:151-190)."""
    return _answer(lambda: _examples(resolve, body))


def _predict(resolve: Resolve, body: bytes) -> bytes:
    # http_rest_api_handler.cc:152-178 and json_tensor.cc:653-670: parse the body, then find the
    # model and its signature.
    document = tf_rest.parse_predict_body(body)
    served, loaded = resolve()
    signature_name = document.get("signature_name") or DEFAULT_SIGNATURE
    signature = loaded.signatures.get(signature_name)
    if signature is None or not signature.inputs:
        raise invalid(f'Serving signature name: "{signature_name}" not found in signature def')
    request_format, inputs = tf_rest.request_tensors(document, signature.inputs, MAX_INSTANCES)
    if served.validate is not None:
        problem = served.validate(signature_name, inputs)
        if problem:
            raise invalid(problem)
    try:
        outputs = loaded.call(signature_name, inputs)
    except (ValueError, TypeError) as error:  # tf.errors.InvalidArgumentError is a ValueError too
        raise invalid(f"{type(error).__name__}: {error}") from None
    return tf_rest.predict_response(request_format, outputs)


def _examples(resolve: Resolve, body: bytes) -> bytes:
    document = tf_rest.parse_predict_body(body)
    tf_rest.check_examples_request(document)
    _, loaded = resolve()
    signature_name = document.get("signature_name") or DEFAULT_SIGNATURE
    signature = loaded.signatures.get(signature_name)
    if signature is None:
        raise invalid(f"No signature was found with the name: {signature_name}")
    if len(signature.inputs) != 1:
        raise invalid("Expected one input Tensor.")
    raise invalid("classify and regress (tf.Example inputs) are not served here: use :predict")


def _status(models: Mapping[str, ServedSavedModel], target: Target) -> bytes:
    """get_model_status_impl.cc:76-109: a version label is ignored (only a version narrows)."""
    served = models.get(target.model)
    statuses = dict(served.server.statuses) if served else {}
    if target.version is not None:
        if target.version not in statuses:
            raise not_found(f"Could not find version {target.version} of model {target.model}")
        statuses = {target.version: statuses[target.version]}
    if not statuses:
        raise not_found(f"Could not find any versions of model {target.model}")
    return tf_rest.status_response(statuses)


def tf_serving_app(models: Callable[[], Mapping[str, ServedSavedModel]]) -> Starlette:
    """The ``/v1/...`` routes over the models ``models()`` returns at request time."""

    async def handle(request: Request) -> Response:
        # The path as sent (percent-encoded, any case): TF Serving matches its patterns on it and
        # decodes the names afterwards (http_rest_api_util.cc:90-131).
        # raw_path is the whole path when mounted at /v1, the path under the app when served alone.
        raw = request.scope.get("raw_path")
        path = raw.decode("latin-1") if raw else "/" + request.path_params["rest"]
        if not path.lower().startswith("/v1/"):
            path = "/v1" + path
        try:
            target = tf_rest.parse_path(request.method, path)
            served_models = models()
            if request.method == "GET":
                if target.metadata:
                    _, loaded = _model(served_models, target)
                    return _json(tf_rest.metadata_response(loaded.name, loaded.version, loaded.signature_defs))
                return _json(_status(served_models, target))
            body = await request.body()
            answer = answer_predict if target.method == "predict" else answer_examples
            # In a worker thread, even for one instance: the TensorFlow call slows down on the loop's thread.
            status, content = await anyio.to_thread.run_sync(answer, partial(_model, served_models, target), body)
            return _json(content, status)
        except RestError as error:
            return _json(error.body(), error.status)
        except Exception:  # a bug, not the client's: logged with its traceback, answered in TF Serving's shape
            log.exception("%s %s failed", request.method, path)
            return _json(RestError(500, "internal error, logged by the service: retry, or report it").body(), 500)

    return Starlette(routes=[Route("/{rest:path}", handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
