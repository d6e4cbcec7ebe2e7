"""score_beater's SavedModel as everyone calls it: ``version`` and ``predict(frame)``, through the
``serving_default`` signature (never Keras ``predict()``), counted (``calls``, ``rows``).

One class for the assets, the flow, the gate's probe and the service: the service wraps the version
it is serving in it, so batch predictions and ``POST /score_beater/predict`` compute the same
numbers. :func:`load_scorer` loads a registry version (checksums verified); TensorFlow is imported
only when there is one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.core.model_store import CorruptArtifactError, ModelNotFoundError, RegistryError, one_line
from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.core.serving.tf_runtime import DEFAULT_SIGNATURE, LoadedSavedModel
from shot_platform.free_throws.serving.validation import input_problem

MODEL_NAME = "score_beater"
OUTPUT = "probability"
LIST_HINT = f"`shot-platform models list --model {MODEL_NAME}` shows the versions"
PROMOTE = f"`shot-platform models promote --model {MODEL_NAME} VERSION`"


class NoModelError(RuntimeError):
    """There is no score_beater champion to predict with (or it cannot be used)."""


@dataclass
class SavedModelScorer:
    """Beat probabilities from a loaded score_beater version."""

    model: LoadedSavedModel = field(repr=False)
    calls: int = 0
    rows: int = 0

    @property
    def version(self) -> str:
        return str(self.model.version)

    @property
    def input_names(self) -> list[str]:
        return list(self.model.signatures[DEFAULT_SIGNATURE].inputs)

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        """One probability per row of a frame with the model's input columns (checked by the rules)."""
        self.calls += 1
        self.rows += len(inputs)
        missing = [name for name in self.input_names if name not in inputs.columns]
        if missing:
            raise LookupError(f"score_beater version {self.version} needs inputs {missing} the frame lacks")
        columns = {name: inputs[name].to_numpy(dtype=np.float64) for name in self.input_names}
        if not len(inputs):
            return np.empty(0)
        problem = input_problem(DEFAULT_SIGNATURE, columns)
        if problem:
            raise ValueError(f"inputs break the input rules: {problem}")
        outputs = self.model.call(DEFAULT_SIGNATURE, columns)
        output = outputs[OUTPUT] if OUTPUT in outputs else next(iter(outputs.values()))
        return np.asarray(output, dtype=np.float64).reshape(-1)

    @classmethod
    def from_directory(cls, path: Path) -> SavedModelScorer:
        """An exported SavedModel that is not in the registry (a challenger being judged)."""
        return cls(LoadedSavedModel.load(MODEL_NAME, 0, path))

    @classmethod
    def from_store(cls, models: Any, version: str | None = None) -> SavedModelScorer:
        """The champion (or ``version``) of the registry for the flow: :class:`NoModelError` when there
        is none or it cannot be used (one line that names the repair)."""
        try:
            scorer = load_scorer(models, version)
        except RegistryError as error:
            raise NoModelError(f"{error}; {LIST_HINT}") from None
        if scorer is None:
            raise NoModelError(
                f"no score_beater model yet in {models.blobs.describe()}: train one "
                "(`shot-platform materialize --select group:free_throws`) or promote a version "
                f"({PROMOTE}), then sync again"
            )
        return scorer


def load_scorer(models: Any, version: str | None = None) -> SavedModelScorer | None:
    """A registry version loaded (the champion when ``version`` is None); None while there is no
    champion. A damaged pointer or version raises a
    :class:`~shot_platform.core.model_store.RegistryError` with a one-line message."""
    if version is None:
        pointer = models.champion_pointer()
        if pointer.damaged:
            raise ModelNotFoundError(f"{pointer.problem}; repair it with {PROMOTE}")
        if pointer.version is None:
            return None
        version = pointer.version
    path = models.load(version)
    try:
        loaded = LoadedSavedModel.load(MODEL_NAME, int(version), path)
    except Exception as error:  # passed its checksums but TensorFlow refuses it
        raise CorruptArtifactError(
            f"{MODEL_NAME} version {version} does not load ({one_line(error)}); promote another version with {PROMOTE}"
        ) from None
    finally:
        shutil.rmtree(path, ignore_errors=True)  # the loaded graph keeps what it needs in memory
    return SavedModelScorer(loaded)


def champion_scorer(location: str, s3_endpoint_url: str | None = None) -> SavedModelScorer | None:
    """The registry's score_beater champion at a model-store location, loaded; None while there is none."""
    return load_scorer(open_saved_model_store(location, s3_endpoint_url, MODEL_NAME))
