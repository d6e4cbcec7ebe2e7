"""Fresh-process check that an exported SavedModel serves the in-memory model's probabilities.

Run as ``python -m free_throws.check_export SAVED_MODEL CASES.npz``: CASES holds one float32
array per input name plus ``expected`` (the in-memory model's probabilities). This module
imports TensorFlow and NumPy only -- no Keras, no custom objects, no ``free_throws.model`` --
which is how TF Serving or a BentoML runner sees the artifact. Exit status 0 when both the
``serving_default`` signature and the ``serve`` endpoint agree with ``expected`` within the
tolerance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from shot_platform.core.serving.tf_runtime import import_tensorflow
from shot_platform.core.settings import TF_LOG_LEVEL_ENV, export_variable

EXPECTED = "expected"
OUTPUT = "probability"


def saved_model_differences(path: str | Path, cases: dict[str, np.ndarray]) -> dict[str, float]:
    """Max absolute difference to ``cases["expected"]`` of the signature and of ``serve``."""
    export_variable(TF_LOG_LEVEL_ENV, "3", keep_existing=True)  # before the import: TF reads it once
    tf = import_tensorflow()

    loaded = tf.saved_model.load(str(path))
    expected = np.asarray(cases[EXPECTED], dtype=np.float64)
    tensors = {name: tf.constant(values, dtype=tf.float32) for name, values in cases.items() if name != EXPECTED}
    signature = loaded.signatures["serving_default"]
    by_signature = np.asarray(signature(**tensors)[OUTPUT], dtype=np.float64).reshape(-1)
    by_serve = np.asarray(loaded.serve(tensors)[OUTPUT], dtype=np.float64).reshape(-1)
    return {
        "serving_default": float(np.max(np.abs(by_signature - expected))),
        "serve": float(np.max(np.abs(by_serve - expected))),
        "rows": float(len(expected)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("saved_model", type=Path)
    parser.add_argument("cases", type=Path, help=".npz with one array per input name and 'expected'")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args(argv)
    with np.load(args.cases) as archive:
        cases = {name: archive[name] for name in archive.files}
    differences = saved_model_differences(args.saved_model, cases)
    worst = max(differences["serving_default"], differences["serve"])
    verdict = "OK" if worst <= args.tolerance else "MISMATCH"
    print(
        f"{verdict}: {int(differences['rows'])} rows, max |difference| serving_default "
        f"{differences['serving_default']:.2e}, serve {differences['serve']:.2e} (tolerance {args.tolerance:g})"
    )
    return 0 if worst <= args.tolerance else 1


__all__ = ["EXPECTED", "OUTPUT", "main", "saved_model_differences"]


if __name__ == "__main__":
    sys.exit(main())
