"""A loaded TensorFlow SavedModel, called through its signatures (not Keras ``predict()``).

TensorFlow is imported here on first use only: importing it costs about 4 s and several hundred
MB of resident memory, which a service without a SavedModel to serve must not pay. Its thread
pools are sized once, before any op runs (TensorFlow refuses changes afterwards).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from shot_platform.core.settings import TF_LOG_LEVEL_ENV, export_variable
from shot_platform.core.threads import model_threads

DEFAULT_SIGNATURE = "serving_default"
log = logging.getLogger(__name__)

# What TensorFlow's CUDA build prints on a machine without a GPU (nothing is wrong there).
NO_GPU_NOISE = re.compile(
    r"cudart_stub\.cc|cuda_platform\.cc|failed call to cuInit|Could not find cuda drivers"
    r"|All log messages before absl::InitializeLog\(\) is called"
)


@contextmanager
def without_gpu_noise() -> Iterator[None]:
    """Drop the no-GPU lines TensorFlow writes to file descriptor 2 while it loads.

    They come from C++ before ``TF_CPP_MIN_LOG_LEVEL`` applies, so only the descriptor can hold them
    back; every other line written meanwhile is passed on once loading ends.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not NO_GPU_NOISE.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def import_tensorflow() -> ModuleType:
    """``import tensorflow`` with its CUDA probe run inside :func:`without_gpu_noise`; thread counts
    can still be set afterwards."""
    with without_gpu_noise():
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA platform's probe happens here, inside the filter
    return tf


@cache
def tensorflow() -> ModuleType:
    """TensorFlow, imported and configured once per process.

    Intra- and inter-op pools get ``SHOT_PLATFORM_MODEL_THREADS`` threads (default 1): a small
    MLP gains nothing from more, and on the 2-core machine the web server needs the other core.
    """
    export_variable(TF_LOG_LEVEL_ENV, "2", keep_existing=True)  # TF reads it once, at import
    tf = import_tensorflow()
    threads = model_threads()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # something (a training run in this process) already ran an op
        log.info("TensorFlow was initialised before its thread counts could be set; keeping its own")
    return tf


@dataclass(frozen=True)
class TensorSpec:
    """One named input or output of a signature, as its SignatureDef declares it."""

    name: str
    dtype: str  # TF's enum name, e.g. "DT_FLOAT"
    numpy_dtype: np.dtype
    shape: tuple[int | None, ...] | None  # None: unknown rank; None in a dim: any size
    tf_dtype: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Signature:
    name: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]


def _spec(tf: ModuleType, name: str, info: Any) -> TensorSpec:
    shape = None
    if not info.tensor_shape.unknown_rank:
        shape = tuple(None if d.size < 0 else int(d.size) for d in info.tensor_shape.dim)
    dtype = tf.dtypes.as_dtype(info.dtype)
    from tensorflow.core.framework import types_pb2

    return TensorSpec(name, types_pb2.DataType.Name(info.dtype), np.dtype(dtype.as_numpy_dtype), shape, dtype)


@dataclass
class LoadedSavedModel:
    """One version of one SavedModel, ready to be called."""

    name: str
    version: int
    path: Path
    loaded: Any = field(repr=False)
    signatures: dict[str, Signature]
    signature_defs: dict[str, dict]  # SignatureDef messages as TF Serving prints them (JSON objects)

    @classmethod
    def load(cls, name: str, version: int, path: str | Path) -> LoadedSavedModel:
        """``tf.saved_model.load`` plus the SignatureDefs read from ``saved_model.pb``.

        The SignatureDefs give what TF Serving's metadata API shows (tensor names such as
        ``serving_default_x:0``, DT_ enums, -1 for a free dimension); the loaded object gives the
        callable signatures.
        """
        tf = tensorflow()
        from google.protobuf import json_format
        from tensorflow.core.protobuf import saved_model_pb2

        path = Path(path)
        proto = saved_model_pb2.SavedModel()
        proto.ParseFromString((path / "saved_model.pb").read_bytes())
        if len(proto.meta_graphs) != 1:
            raise ValueError(f"{path} holds {len(proto.meta_graphs)} meta graphs; export exactly one (model.export)")
        defs = proto.meta_graphs[0].signature_def
        loaded = tf.saved_model.load(str(path))
        signatures = {
            key: Signature(
                key,
                {n: _spec(tf, n, info) for n, info in sorted(defs[key].inputs.items())},
                {n: _spec(tf, n, info) for n, info in sorted(defs[key].outputs.items())},
            )
            for key in loaded.signatures
        }
        if DEFAULT_SIGNATURE not in signatures:
            raise ValueError(f"{name} version {version} has no {DEFAULT_SIGNATURE!r} signature: use model.export()")
        printed = {
            key: json_format.MessageToDict(
                value, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
            )
            for key, value in defs.items()
        }
        model = cls(name, int(version), path, loaded, signatures, printed)
        model.warm_up()
        return model

    def warm_up(self) -> None:
        """Run each signature once on one zero row: the first real request must not pay for tracing."""
        for signature in self.signatures.values():
            zeros = {
                name: np.zeros(tuple(1 if d is None else d for d in (spec.shape or (1,))), dtype=spec.numpy_dtype)
                for name, spec in signature.inputs.items()
            }
            self.call(signature.name, zeros)

    def call(self, signature: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named arrays in, named arrays out, through the signature's concrete function."""
        tf = tensorflow()
        function = self.loaded.signatures[signature]
        specs = self.signatures[signature].inputs
        outputs = function(**{name: tf.constant(value, dtype=specs[name].tf_dtype) for name, value in inputs.items()})
        return {name: tensor.numpy() for name, tensor in outputs.items()}
