"""score_beater's SavedModel as the free-throw assets and the service call it: ``version`` and
``predict(frame)``, through the ``serving_default`` signature (never Keras ``predict()``).

``champion_scorer`` loads the registry's champion (checksums verified); TensorFlow is imported
only when there is one. The service wraps the version it is serving in the same class, so batch
predictions and ``POST /score_beater/predict`` compute the same numbers.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shot_platform.core.model_store import CorruptArtifactError, ModelNotFoundError, one_line
from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.core.serving.tf_runtime import DEFAULT_SIGNATURE, LoadedSavedModel
from shot_platform.free_throws.serving.validation import input_problem

MODEL_NAME = "score_beater"
OUTPUT = "probability"


@dataclass(frozen=True)
class SavedModelScorer:
    """Beat probabilities from a loaded score_beater version."""

    model: LoadedSavedModel

    @property
    def version(self) -> str:
        return str(self.model.version)

    @property
    def input_names(self) -> list[str]:
        return list(self.model.signatures[DEFAULT_SIGNATURE].inputs)

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        """One probability per row of a frame with the model's input columns (checked by the rules)."""
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


def champion_scorer(location: str, s3_endpoint_url: str | None = None) -> SavedModelScorer | None:
    """The registry's score_beater champion, loaded; None while there is none. A damaged pointer or
    version raises a :class:`~shot_platform.core.model_store.RegistryError` with a one-line message."""
    store = open_saved_model_store(location, s3_endpoint_url, MODEL_NAME)
    pointer = store.champion_pointer()
    if pointer.damaged:
        raise ModelNotFoundError(
            f"{pointer.problem}; repair it with `shot-platform models promote --model {MODEL_NAME} VERSION`"
        )
    if pointer.version is None:
        return None
    path = store.load(pointer.version)
    try:
        loaded = LoadedSavedModel.load(MODEL_NAME, int(pointer.version), path)
    except Exception as error:
        raise CorruptArtifactError(
            f"{MODEL_NAME} version {pointer.version} does not load ({one_line(error)}); promote another version "
            f"with `shot-platform models promote --model {MODEL_NAME} VERSION`"
        ) from None
    finally:
        shutil.rmtree(path, ignore_errors=True)  # the loaded graph keeps what it needs in memory
    return SavedModelScorer(loaded)
