"""The darts model (one number: the hit rate) and its registry, through the platform's model store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from shot_platform.core.model_store import ArtifactFormat, ModelStore, open_model_store
from shot_platform.core.settings import Settings

MODEL_NAME = "dart_model"


@dataclass
class DartModel:
    version: str
    hit_rate: float
    metadata: dict = field(default_factory=dict)


class DartModelFormat(ArtifactFormat[DartModel]):
    name = "json"

    def dump(self, model: DartModel) -> dict[str, bytes]:
        return {"model.json": json.dumps({"hit_rate": model.hit_rate}).encode()}

    def load(self, files: Mapping[str, bytes], metadata: dict) -> DartModel:
        return DartModel(metadata["version"], json.loads(files["model.json"])["hit_rate"], metadata)


def open_dart_models(settings: Settings) -> ModelStore[DartModel]:
    return open_model_store(settings.model_store, MODEL_NAME, DartModelFormat(), settings.s3_endpoint_url)
