"""A trained shot model as it is stored and served: estimator, feature list, version."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier

from shot_platform.core.model_store import ArtifactFormat
from shot_platform.core.threads import apply_model_threads
from shot_platform.shots.features.frame import FEATURE_SET_VERSION
from shot_platform.shots.models.forest import CompiledForest

# Up to this many rows the vectorised tree evaluator beats scikit-learn's per-tree calls.
COMPILED_MAX_ROWS = 256


@dataclass
class ShotModel:
    """Everything needed to score a feature frame, and to know what did the scoring."""

    estimator: ClassifierMixin
    feature_columns: tuple[str, ...]
    version: str
    metadata: dict = field(default_factory=dict)
    feature_set_version: str = FEATURE_SET_VERSION
    _forest: CompiledForest | None = field(default=None, init=False, repr=False, compare=False)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Make probability per row; refuses a frame built by another feature set."""
        if self.feature_set_version != FEATURE_SET_VERSION:
            raise ValueError(
                f"model {self.version} was trained on feature set {self.feature_set_version}, "
                f"this code builds {FEATURE_SET_VERSION}: retrain it (shot-platform materialize)"
            )
        missing = [c for c in self.feature_columns if c not in features.columns]
        if missing:
            raise ValueError(f"feature frame lacks {missing}")
        return self.predict_matrix(features[list(self.feature_columns)].to_numpy(dtype=float))

    def warm_up(self) -> None:
        """Build what the first small request would otherwise build (the compiled trees)."""
        if self._forest is None and isinstance(self.estimator, HistGradientBoostingClassifier):
            self._forest = CompiledForest(self.estimator)

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Make probability per row of a matrix whose columns are ``feature_columns``, in order."""
        if len(matrix) <= COMPILED_MAX_ROWS and isinstance(self.estimator, HistGradientBoostingClassifier):
            self.warm_up()
            return self._forest.predict_proba(matrix)
        apply_model_threads()
        return self.estimator.predict_proba(matrix)[:, 1]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        payload = {
            "estimator": self.estimator,
            "feature_columns": self.feature_columns,
            "version": self.version,
            "feature_set_version": self.feature_set_version,
        }
        joblib.dump(payload, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, metadata: dict | None = None) -> ShotModel:
        payload = joblib.load(io.BytesIO(data))
        return cls(metadata=metadata or {}, **payload)


class ShotModelFormat(ArtifactFormat[ShotModel]):
    """The shot model's artifact in the model store: one joblib file (see core.model_store.ArtifactFormat)."""

    name = "joblib"
    FILE = "model.joblib"

    def dump(self, model: ShotModel) -> dict[str, bytes]:
        return {self.FILE: model.to_bytes()}

    def load(self, files: Mapping[str, bytes], metadata: dict, destination: Path | None = None) -> ShotModel:
        if self.FILE not in files:
            raise ValueError(f"no {self.FILE} among the artifact files {sorted(files)}")
        model = ShotModel.from_bytes(files[self.FILE], metadata)
        if not hasattr(model.estimator, "predict_proba"):
            raise ValueError(f"{self.FILE} holds a {type(model.estimator).__name__}, not a probabilistic classifier")
        return model


SHOT_MODEL_FORMAT = ShotModelFormat()
