"""TF Serving's REST API, as TensorFlow ModelServer speaks it, so its clients work unchanged.

Follows tensorflow/serving at 9d981c5 (``g3doc/api_rest.md``, ``util/json_tensor.cc``,
``model_servers/http_rest_api_util.cc``, ``http_rest_api_handler.cc``, ``get_model_status_impl.cc``,
``get_model_metadata_impl.cc``): the same URL patterns (case-insensitive, the verb compared as
written), request formats (row ``instances`` / columnar ``inputs``), JSON as rapidjson reads it
there (NaN/Inf tokens, the first of duplicate keys, bytes after the document ignored, rapidjson's
parse-error text), response shapes (``predictions`` / ``outputs``, a single output unwrapped),
float formatting (``%g``, or 9 significant digits when that does not round-trip), error bodies
``{"error": ...}`` and status codes (INVALID_ARGUMENT 400, NOT_FOUND 404). Only the protocol lives
here; which models exist and how they are called is the caller's business. The deliberate
differences are listed in docs/tf_serving_differences.md.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import unquote

import numpy as np
import orjson

from shot_platform.core.serving.tf_runtime import TensorSpec

# http_rest_api_util.cc:31-34, RE2 with (?i): \d is ASCII there, hence re.ASCII.
PREDICT_PATH = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)",
    re.IGNORECASE | re.ASCII,
)
STATUS_PATH = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:\/(metadata))?",
    re.IGNORECASE | re.ASCII,
)
METHODS = ("classify", "regress", "predict")
INT64_MAX = 2**63 - 1
ROW, COLUMNAR = "row", "columnar"
_JSON_TYPE = {type(None): "Null", dict: "Object", list: "Array", str: "String", int: "Number"}
_NUMBER_TYPES = {int, float}
TOO_DEEP = "JSON Parse error: the document is nested too deeply: nest each tensor's lists only as deep as its rank"
_PARSE_DTYPE = {"f": np.float64, "i": np.int64, "u": np.uint64, "O": object, "S": object, "U": object}


class RestError(Exception):
    """An error answered as ``{"error": message}`` with TF Serving's HTTP status for its code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def body(self) -> bytes:
        return json.dumps({"error": self.message}).encode()


def invalid(message: str) -> RestError:
    return RestError(400, message)


def not_found(message: str) -> RestError:
    return RestError(404, message)


@dataclass(frozen=True)
class Target:
    """What a request path asks for."""

    model: str
    version: int | None
    label: str | None
    method: str | None  # predict, classify, regress (POST) or None (GET)
    metadata: bool = False


def parse_path(http_method: str, path: str) -> Target:
    """TF Serving's ParseModelInfo and dispatch (http_rest_api_util.cc:90-131,
    http_rest_api_handler.cc:65-109): its two regular expressions, full match, case-insensitive;
    the version must fit an int64; names URL-decoded; the verb and ``metadata`` compared as
    written, so ``:PREDICT`` is a malformed request and ``/METADATA`` asks for the status."""
    malformed = invalid(f"Malformed request: {http_method} {path}")
    match = None
    if http_method == "POST":
        match = PREDICT_PATH.fullmatch(path)
    elif http_method == "GET":
        match = STATUS_PATH.fullmatch(path)
    name, version, label, last = match.groups() if match else (None, None, None, None)
    if version is not None and (len(version) > 19 or int(version) > INT64_MAX):
        raise invalid(f"Failed to convert version: {version} to numeric.")
    if match is None or (http_method == "POST" and last not in METHODS):
        raise malformed
    if not name:
        raise invalid("Missing model name in request.")
    return Target(
        model=unquote(name),
        version=int(version) if version is not None else None,
        label=unquote(label) if label is not None else None,
        method=last if http_method == "POST" else None,
        metadata=http_method == "GET" and last == "metadata",
    )


def servable_request(target: Target) -> str:
    """TF Serving's ServableRequest::DebugString, used in its NOT_FOUND messages."""
    if target.version is not None:
        return f"Specific({target.model}, {target.version})"
    return f"Latest({target.model})"


# --- JSON, as rapidjson reads it in TF Serving ----------------------------------------------

# rapidjson's English text (error/en.h, GetParseError_En) for what Python's json module reports.
_RAPIDJSON_TEXT = (
    ("Expecting property name enclosed in double quotes", "Missing a name for object member."),
    ("Illegal trailing comma before end of object", "Missing a name for object member."),
    ("Illegal trailing comma before end of array", "Invalid value."),
    ("Expecting ':' delimiter", "Missing a colon after a name of object member."),
    ("Unterminated string", "Missing a closing quotation mark in string."),
    ("Invalid control character", "Invalid encoding in string."),
    ("Invalid \\uXXXX escape", "Incorrect hex digit after \\u escape in string."),
    ("Invalid \\escape", "Invalid escape character in string."),
    ("Expecting value", "Invalid value."),
)
_JSON_SPACE = " \t\n\r"
# rapidjson's kParseNanAndInfFlag takes NaN, Inf and Infinity, each with a sign; Python's json
# module only NaN, Infinity and -Infinity. Strings are matched first so that their text is kept.
_NAN_INF = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?)(Infinity|Inf|NaN)')
_UINT64_MAX = 2**64 - 1


class _NumberTooBig(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _nan_inf(match: re.Match) -> str:
    if match.group(2) is None:
        return match.group(0)
    if match.group(2) == "NaN":
        return "NaN"
    return "-Infinity" if match.group(1) == "-" else "Infinity"


def _first_wins(pairs: list[tuple[str, Any]]) -> dict:
    """rapidjson keeps every member and FindMember returns the first: the first value wins."""
    document = dict(pairs)
    if len(document) != len(pairs):
        document = {}
        for key, value in pairs:
            document.setdefault(key, value)
    return document


def _double(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _NumberTooBig(token)
    return value


def _integer(token: str) -> int | float:
    """rapidjson keeps an integer within int64/uint64 and reads a longer one as a double."""
    if len(token) <= 21:
        value = int(token)
        if -(2**63) <= value <= _UINT64_MAX:
            return value
    return _double(token)


_DECODER = json.JSONDecoder(object_pairs_hook=_first_wins, parse_float=_double, parse_int=_integer)


def _key_count(document: Any) -> int:
    """How many keys the parsed objects hold, all levels: one level at a time, with the per-value
    work in C (map, chain, set), as a body is mostly long lists of numbers."""
    count, level = 0, [document]
    while level:
        dicts = [value for value in level if type(value) is dict]
        lists = [value for value in level if type(value) is list] if len(dicts) != len(level) else []
        count += sum(map(len, dicts))
        children = list(itertools.chain(itertools.chain.from_iterable(map(dict.values, dicts)), *lists))
        kinds = set(map(type, children))
        if dict not in kinds and list not in kinds:
            break
        level = [value for value in children if type(value) is dict or type(value) is list]
    return count


def _parse_error(text: str, error: json.JSONDecodeError) -> RestError:
    message = next((ours for python, ours in _RAPIDJSON_TEXT if error.msg.startswith(python)), None)
    if message is None:  # "Expecting ',' delimiter": in an array if a ']' there gets further
        try:
            _DECODER.raw_decode(text[: error.pos] + "]")
            in_array = True
        except json.JSONDecodeError as retry:
            in_array = retry.pos > error.pos
        except (ValueError, RecursionError):
            in_array = True
        message = (
            "Missing a comma or ']' after an array element."
            if in_array
            else "Missing a comma or '}' after an object member."
        )
    return invalid(f"JSON Parse error: {message} at offset: {error.pos}")


def _parse_like_rapidjson(body: bytes) -> Any:
    # Bytes that are not UTF-8 are kept (rapidjson does not validate the encoding by default).
    text = body.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    if start == len(text):
        raise invalid(f"JSON Parse error: The document is empty. at offset: {start}")
    if "Inf" in text or "NaN" in text:
        text = _NAN_INF.sub(_nan_inf, text)
    try:
        document, _ = _DECODER.raw_decode(text, start)  # what follows the document is ignored
    except _NumberTooBig as error:
        offset = max(text.find(error.token), 0)
        raise invalid(f"JSON Parse error: Number too big to be stored in double. at offset: {offset}") from None
    except json.JSONDecodeError as error:
        raise _parse_error(text, error) from None
    return document


def parse_json(body: bytes) -> Any:
    """A request body as TF Serving's ParseJson reads it (json_tensor.cc:473-502: rapidjson with
    kParseIterativeFlag | kParseNanAndInfFlag | kParseStopWhenDoneFlag): NaN/Inf tokens accepted,
    bytes after the document ignored, the first of duplicate keys kept, a number beyond a double
    refused, rapidjson's message and offset for a syntax error.

    orjson parses a 1,000-instance body 5-20x faster than the json module; it refuses what only
    rapidjson accepts and keeps the last of duplicate keys, so those bodies take the exact path:
    each key has one ':' outside strings, so as many colons as keys parsed means no duplicates.
    """
    if not body:
        raise invalid("JSON Parse error: The document is empty")
    try:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _parse_like_rapidjson(body)
        if b":" in body and body.count(b":") != _key_count(document):
            return _parse_like_rapidjson(body)
        return document
    except RecursionError:  # nesting deeper than the parsers' or Python's recursion limit
        raise invalid(TOO_DEEP) from None


def parse_predict_body(body: bytes) -> dict:
    """The request JSON object with a string ``signature_name`` if any (json_tensor.cc:498-517)."""
    document = parse_json(body)
    if not isinstance(document, dict):
        raise invalid(f"JSON Value: {_debug(document)} Is not object")
    signature = document.get("signature_name")
    if "signature_name" in document and not isinstance(signature, str):
        raise invalid(
            f"JSON Value: {_debug(document)} not formatted correctly. 'signature_name' key must be a string value."
        )
    return document


# --- tensors from JSON values ----------------------------------------------------------------


def _debug(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), allow_nan=True)
    return text if len(text) <= 256 else text[:256]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return "Number" if isinstance(value, float) else _JSON_TYPE.get(type(value), type(value).__name__)


def _type_name(spec: TensorSpec) -> str:
    return spec.dtype.removeprefix("DT_").lower()


def _allowed_types(spec: TensorSpec) -> frozenset[type]:
    kind = spec.numpy_dtype.kind
    return frozenset({int, float} if kind == "f" else {int} if kind in "iu" else {bool} if kind == "b" else {str})


def _element_ok(value: Any, spec: TensorSpec) -> bool:
    """json_tensor.cc:290-342 AddValueToTensor: the JSON type, and an integer's range."""
    if type(value) not in _allowed_types(spec):
        return False
    if spec.numpy_dtype.kind in "iu":
        limits = np.iinfo(spec.numpy_dtype)
        return int(limits.min) <= value <= int(limits.max)
    return True


def _type_error(value: Any, spec: TensorSpec) -> RestError:
    return invalid(f"JSON Value: {_debug(value)} Type: {_json_type(value)} is not of expected type: {_type_name(spec)}")


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _leaves(value: Any) -> list:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _dense_shape(value: Any) -> list[int]:
    """json_tensor.cc:349-356 GetDenseTensorShape: the lengths along the first elements."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _shape_text(shape: list[int]) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


def _check_values(value: Any, shape: list[int], spec: TensorSpec) -> int:
    """json_tensor.cc:392-436 FillTensorProto: the first misplaced list, list of the wrong length or
    element of the wrong type, in document order, with TF Serving's message. Returns the count."""
    rank, count, stack = len(shape), 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, list):
            if level != rank:
                raise invalid(
                    f"JSON Value: {_debug(item)} found at incorrect level: {level + 1} in the JSON DOM. "
                    f"Expected at level: {rank}"
                )
            if isinstance(item, dict) and spec.numpy_dtype.kind in "OSU":
                if not _is_b64(item):
                    raise invalid(f"JSON Value: {_debug(item)} not formatted correctly for base64 data")
            elif not _element_ok(item, spec):
                raise _type_error(item, spec)
            count += 1
            continue
        if level >= rank:
            raise invalid(f"Encountered list at unexpected level: {level} expected < {rank}")
        if len(item) != shape[level]:
            raise invalid(
                f"Encountered list at unexpected size: {len(item)} at level: {level} expected size: {shape[level]}"
            )
        stack.extend((child, level + 1) for child in reversed(item))
    return count


def _fast_array(values: Any, spec: TensorSpec) -> np.ndarray | None:
    """A regular nested list of numbers of the right kind as an array; None for anything else,
    which then takes the exact (slower) walk that names the first problem.

    Numbers are kept exactly as sent (float64, int64) so that input rules judge the values the
    client sent; the cast to the signature's dtype (float32, ...) happens at the model call.
    """
    kind = spec.numpy_dtype.kind
    if kind not in "fiu":
        return None
    allowed = _allowed_types(spec)
    flat = values if isinstance(values, list) else [values]
    types = set(map(type, flat))
    if not types <= allowed and (list not in types or not set(map(type, _leaves(values))) <= allowed):
        return None
    try:
        array = np.array(values, dtype=_PARSE_DTYPE[kind])
    except (ValueError, OverflowError):  # ragged lists, or an integer out of range
        return None
    return None if array.dtype == object else array


def _fit(array: np.ndarray, spec: TensorSpec, batched: bool) -> np.ndarray:
    """The tensor as the graph takes it. TF Serving feeds the tensor as built and lets the graph
    cope; a graph that reshapes every input to [-1] (as a tabular model's may), so an input
    declared [-1] takes its values flattened: a scalar, [[40]] or one-element lists per instance.
    Any other declared shape must match, as the signature's function requires."""
    if spec.shape == (None,):
        return array.reshape(-1)
    expected, shape = spec.shape, array.shape
    if expected is not None and (
        len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape, strict=False))
    ):
        dims = ",".join("-1" if d is None else str(d) for d in expected)
        what = "each instance" if batched else "the tensor"
        got = ",".join(str(s) for s in (shape[1:] if batched else shape))
        want = ",".join("-1" if d is None else str(d) for d in (expected[1:] if batched else expected))
        raise invalid(
            f"input {spec.name} must have shape [{dims}] (signature); {what} has shape [{got}], expected [{want}]"
        )
    return array


def _built(values: Any, spec: TensorSpec) -> np.ndarray:
    """The array of values already checked by the exact walk."""
    kind = spec.numpy_dtype.kind
    try:
        array = np.array(values, dtype=_PARSE_DTYPE.get(kind, spec.numpy_dtype))
    except (ValueError, OverflowError) as error:
        raise invalid(f"{spec.name}: values that do not form a tensor ({error})") from None
    if array.dtype == object and kind not in "OSU":
        raise invalid(f"{spec.name}: values that do not form a tensor")
    return array


def to_array(value: Any, spec: TensorSpec) -> np.ndarray:
    """One columnar input (json_tensor.cc:609-649): its shape from its first elements, every
    element of the signature's type (a string or ``true`` for a float, a decimal for an integer,
    ``null`` refused), then fitted to the signature."""
    array = _fast_array(value, spec)
    if array is None:
        _check_values(value, _dense_shape(value), spec)
        array = _built(value, spec)
    return _fit(array, spec, batched=False)


class _Instances:
    """json_tensor.cc:443-471 AddInstanceItem: every instance's value for one input has the size
    and shape of the first one."""

    def __init__(self, spec: TensorSpec) -> None:
        self.spec, self.size, self.shape = spec, None, None

    def add(self, value: Any) -> None:
        shape = _dense_shape(value)
        size = _check_values(value, shape, self.spec)
        if self.size is None:
            self.size, self.shape = size, shape
        elif size != self.size:
            raise invalid(f"Expecting tensor size: {self.size} but got: {size}")
        elif shape != self.shape:
            raise invalid(f"Expecting shape {_shape_text(self.shape)} but got: {_shape_text(shape)}")


def _element_error(index: int, key: str | None, error: RestError) -> RestError:
    where = f"{index} key: {key}" if key is not None else f"{index}"
    return invalid(f"Failed to process element: {where} of 'instances' list. Error: INVALID_ARGUMENT: {error.message}")


def _check_instances(instances: list, inputs: Mapping[str, TensorSpec]) -> None:
    """json_tensor.cc:519-607, element by element and key by key: the first problem, in
    TF Serving's words. Only for requests the fast path could not build."""
    names = set(inputs)
    objects = isinstance(instances[0], dict) and not _is_b64(instances[0])
    seen = {name: _Instances(spec) for name, spec in inputs.items()}
    for index, item in enumerate(instances):
        if not objects:
            if isinstance(item, dict) and not _is_b64(item):
                raise invalid(f"Expecting value/list but got object at item {index} of input list")
            try:
                next(iter(seen.values())).add(item)
            except RestError as error:
                raise _element_error(index, None, error) from None
            continue
        if not isinstance(item, dict) or _is_b64(item):
            raise invalid(f"Expecting object but got list at item {index} of input list")
        for key, value in item.items():
            try:
                if key not in names:
                    raise invalid(f"JSON object: does not have named input: {key}")
                seen[key].add(value)
            except RestError as error:
                raise _element_error(index, key, error) from None
        if item.keys() != names:
            raise invalid(
                f"Failed to process element: {index} of 'instances' list. JSON object: {_debug(item)} "
                f"keys must be equal to: {','.join(sorted(names))}"
            )


def _instance_columns(instances: list, inputs: Mapping[str, TensorSpec]) -> dict[str, np.ndarray]:
    names = set(inputs)
    plain = not (isinstance(instances[0], dict) and not _is_b64(instances[0]))
    if plain and len(inputs) > 1:
        raise invalid(
            "instances is a plain list, but expecting list of objects as multiple input tensors required "
            "as per tensorinfo_map"
        )
    columns = _fast_columns(instances, inputs, names, plain)
    if columns is None:
        _check_instances(instances, inputs)
        if plain:
            ((name, spec),) = inputs.items()
            columns = {name: _built(instances, spec)}
        else:
            columns = {name: _built([item[name] for item in instances], spec) for name, spec in inputs.items()}
    return {name: _fit(columns[name], spec, batched=True) for name, spec in inputs.items()}


def _fast_columns(
    instances: list, inputs: Mapping[str, TensorSpec], names: set[str], plain: bool
) -> dict[str, np.ndarray] | None:
    """The columns of a regular request (every instance alike, every value of the right type), or
    None: then the exact walk names the first problem."""
    if plain:
        ((name, spec),) = inputs.items()
        if any(isinstance(item, dict) for item in instances):
            return None
        array = _fast_array(instances, spec)
        return None if array is None else {name: array}
    if not all(type(item) is dict and item.keys() == names for item in instances):
        return None
    order = list(inputs)
    specs = list(inputs.values())
    if len(order) > 1 and all(s.numpy_dtype.kind == "f" and s.shape is not None and len(s.shape) == 1 for s in specs):
        # Named scalar floats (a tabular model's case): one (instances x inputs) matrix in one call.
        rows = list(map(itemgetter(*order), instances))
        if set(map(type, itertools.chain.from_iterable(rows))) <= _NUMBER_TYPES:
            try:
                matrix = np.array(rows, dtype=np.float64)
            except OverflowError:  # an integer beyond float64: the column path below names it
                matrix = None
            if matrix is not None:
                return {name: matrix[:, index] for index, name in enumerate(order)}
    columns = {}
    for name, spec in inputs.items():
        array = _fast_array([item[name] for item in instances], spec)
        if array is None:
            return None
        columns[name] = array
    return columns


def _too_many(count: int, max_instances: int | None) -> None:
    if max_instances is not None and count > max_instances:
        raise invalid(
            f"{count:,} instances in one request; at most {max_instances:,} are served per request: "
            "split the batch into several requests"
        )


def request_tensors(
    document: dict, inputs: Mapping[str, TensorSpec], max_instances: int | None = None
) -> tuple[str, dict[str, np.ndarray]]:
    """(format, named input arrays) from a predict request, TF Serving's FillPredictRequestFromJson
    (json_tensor.cc:653-705).

    ``max_instances`` (a limit of this service, not of TF Serving) is checked on the parsed JSON,
    before any array is built: the length of ``instances``, or of each columnar input's list.
    """
    has_instances, has_inputs = "instances" in document, "inputs" in document
    if has_instances and has_inputs:
        raise invalid(
            f"JSON Value: {_debug(document)} Not formatted correctly expecting only one of 'inputs' or "
            "'instances' keys to exist "
        )
    if has_instances:
        instances = document["instances"]
        if not isinstance(instances, list):
            raise invalid(f"JSON Value: {_debug(document)} Expecting 'instances' to be an list/array")
        if not instances:
            raise invalid(f"JSON Value: {_debug(document)} No values in 'instances' array")
        _too_many(len(instances), max_instances)
        return ROW, _instance_columns(instances, inputs)
    if has_inputs:
        value = document["inputs"]
        for column in value.values() if isinstance(value, dict) else [value]:
            if isinstance(column, list):
                _too_many(len(column), max_instances)
        if not isinstance(value, dict) or _is_b64(value):
            if len(inputs) > 1:
                raise invalid(
                    "inputs is a plain value/list, but expecting an object as multiple input tensors required "
                    "as per tensorinfo_map"
                )
            ((name, spec),) = inputs.items()
            return COLUMNAR, {name: to_array(value, spec)}
        columns = {}
        for name, spec in inputs.items():
            if name not in value:
                raise invalid(f"Missing named input: {name} in 'inputs' object.")
            columns[name] = to_array(value[name], spec)
        return COLUMNAR, columns
    raise invalid("Missing 'inputs' or 'instances' key")


# --- classify and regress requests -----------------------------------------------------------

_FEATURE_KIND = {bool: "int64", int: "int64", float: "float", str: "bytes"}


def _check_example(example: Any) -> None:
    """json_tensor.cc:737-815 MakeExampleFromJsonObject / AddValueToFeature."""
    if not isinstance(example, dict):
        raise invalid(f"Example must be JSON object but got JSON {_json_type(example)}")
    for name, content in example.items():
        kind = None
        for value in content if isinstance(content, list) else [content]:
            if value is None or isinstance(value, list) or (isinstance(value, dict) and not _is_b64(value)):
                raise invalid(f"Feature: {name} has element with unexpected JSON type: {_json_type(value)}")
            this = "bytes" if isinstance(value, dict) else _FEATURE_KIND[type(value)]
            if kind is not None and this != kind:
                raise invalid(f"Unexpected element type in feature: {name} expecting type: {kind}")
            if type(value) is int and value > INT64_MAX:
                raise invalid(f"Feature: {name} has uint64_t element. Only int64_t is supported.")
            kind = this


def check_examples_request(document: dict) -> None:
    """json_tensor.cc:818-860 FillClassifyRegressRequestFromJson, for ``:classify`` and ``:regress``
    (TF Serving says "classify" in the message for both)."""
    if "context" in document:
        _check_example(document["context"])
    if "examples" not in document:
        raise invalid(
            f"JSON Value: {_debug(document)} When method is classify, key 'examples' is expected and was not found"
        )
    examples = document["examples"]
    if not isinstance(examples, list):
        raise invalid(f"JSON Value: {_debug(document)} Expecting 'examples' value to be an list/array")
    if not examples:
        raise invalid(f"JSON Value: {_debug(document)} 'examples' value is an empty array")
    for example in examples:
        _check_example(example)


# --- response bodies ------------------------------------------------------------------------


def _float_texts(values: np.ndarray) -> list[str]:
    """TF Serving's WriteDecimal: ``%g``; if that does not round-trip, max_digits10 (9 or 17).

    Which values round-trip at 6 significant digits is worked out with numpy, so each value is
    formatted once (not formatted, parsed and re-formatted).
    """
    digits = 9 if values.dtype == np.float32 else 17
    wide = values.astype(np.float64)
    finite = np.isfinite(wide)
    with np.errstate(all="ignore"):
        exponent = np.floor(np.log10(np.abs(np.where(finite & (wide != 0), wide, 1.0))))
        scale = 10.0 ** (5 - exponent)
        short = (np.round(wide * scale) / scale).astype(values.dtype) == values
    long_format, texts = f"{{:.{digits}g}}".format, []
    for value, ok, normal in zip(wide.tolist(), short.tolist(), finite.tolist(), strict=True):
        if not normal:
            texts.append("NaN" if value != value else ("Infinity" if value > 0 else "-Infinity"))
            continue
        text = f"{value:g}" if ok else long_format(value)
        if "." not in text and "e" not in text:
            text += ".0"
        texts.append(text)
    return texts


def _leaf_texts(array: np.ndarray, as_bytes: bool) -> list[str]:
    flat = array.reshape(-1)
    kind = flat.dtype.kind
    if kind == "f":
        return _float_texts(flat)
    if kind == "b":
        return ["true" if v else "false" for v in flat.tolist()]
    if kind in "iu":
        return [str(v) for v in flat.tolist()]
    if as_bytes:
        import base64

        return [json.dumps({"b64": base64.b64encode(v).decode()}) for v in flat.tolist()]
    return [json.dumps(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)) for v in flat.tolist()]


def _nest(texts: list[str], shape: tuple[int, ...]) -> str:
    if not shape:
        return texts[0]
    if len(shape) == 1:
        return "[" + ",".join(texts) + "]"
    step = len(texts) // shape[0] if shape[0] else 0
    return "[" + ",".join(_nest(texts[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])) + "]"


def _tensor_json(name: str, array: np.ndarray) -> str:
    array = np.asarray(array)
    return _nest(_leaf_texts(array, name.endswith("_bytes")), array.shape)


def predict_response(request_format: str, outputs: Mapping[str, np.ndarray]) -> bytes:
    """``{"predictions": ...}`` (row) or ``{"outputs": ...}`` (columnar); one output is unwrapped."""
    if not outputs:
        raise invalid("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    if request_format == COLUMNAR:
        if len(names) == 1:
            return ('{"outputs":' + _tensor_json(names[0], outputs[names[0]]) + "}").encode()
        parts = (json.dumps(name) + ":" + _tensor_json(name, outputs[name]) for name in names)
        return ('{"outputs":{' + ",".join(parts) + "}}").encode()
    sizes = set()
    for name in names:
        if np.ndim(outputs[name]) == 0:
            raise invalid(f"Tensor name: {name} has no shape information ")
        sizes.add(np.shape(outputs[name])[0])
    if len(sizes) > 1:
        raise invalid(f"Tensor name: {names[-1]} has inconsistent batch size: expecting one batch size, got {sizes}")
    if len(names) == 1:
        return ('{"predictions":' + _tensor_json(names[0], outputs[names[0]]) + "}").encode()
    rows = []
    per_name = {name: [_tensor_json(name, row) for row in np.asarray(outputs[name])] for name in names}
    for index in range(sizes.pop()):
        rows.append("{" + ",".join(json.dumps(name) + ":" + per_name[name][index] for name in names) + "}")
    return ('{"predictions":[' + ",".join(rows) + "]}").encode()


# --- status and metadata --------------------------------------------------------------------


def status_response(statuses: Mapping[int, Any]) -> bytes:
    """GetModelStatusResponse as TF Serving prints it: versions newest first, int64 as strings."""
    entries = [
        {
            "version": str(version),
            "state": status.state,
            "status": {"error_code": status.error_code, "error_message": status.error_message},
        }
        for version, status in sorted(statuses.items(), reverse=True)
    ]
    return json.dumps({"model_version_status": entries}, indent=1).encode()


def metadata_response(name: str, version: int, signature_defs: Mapping[str, dict]) -> bytes:
    """GetModelMetadataResponse: ``model_spec`` plus ``metadata.signature_def`` (every SignatureDef)."""
    body = {
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": {"signature_def": dict(signature_defs)}},
    }
    return json.dumps(body, indent=1).encode()
