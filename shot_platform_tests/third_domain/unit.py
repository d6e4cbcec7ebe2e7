"""The darts domain's unit on the prediction service: ``POST /darts/predict`` and its readiness."""

from __future__ import annotations

from typing import Any

import bentoml

from shot_platform.core.model_store import RegistryError
from shot_platform.core.serving.unit import UnitBase
from shot_platform.core.settings import Settings
from shot_platform_tests.third_domain.model import MODEL_NAME, DartModel, open_dart_models


class DartsUnit(UnitBase):
    model: DartModel | None = None

    def start(self, settings: Settings) -> None:
        try:  # loaded once: the test promotes its champion before the service starts
            self.model = open_dart_models(settings).load()
        except RegistryError:
            self.model = None

    def stop(self) -> None:
        self.model = None

    def readiness(self) -> dict[str, dict[str, Any]]:
        if self.model is None:
            return {MODEL_NAME: {"state": "no model", "version": None}}
        return {MODEL_NAME: {"state": "serving", "version": self.model.version}}

    # Endpoint names are unique across the service (the shot unit has `predict`): prefixed with the domain.
    @bentoml.api(route="/darts/predict")
    def darts_predict(self, darts: int) -> dict:
        """The chance that each of ``darts`` darts hits the board."""
        if self.model is None:
            return {"error": "no dart model"}
        return {"hit_probabilities": [self.model.hit_rate] * darts, "model_version": self.model.version}
