"""The shot model's registry: the domain-free model store with the shot model's name and artifact format."""

from __future__ import annotations

from pathlib import Path

from shot_platform.core.model_store import ModelStore, open_model_store
from shot_platform.core.settings import Settings
from shot_platform.shots.models.artifact import SHOT_MODEL_FORMAT, ShotModel

SHOT_MODEL = "shot_model"


def shot_models_at(location: str | Path, s3_endpoint_url: str | None = None) -> ModelStore[ShotModel]:
    """The shot model's versions and champion pointer in a directory or at ``s3://bucket/prefix``."""
    return open_model_store(str(location), SHOT_MODEL, SHOT_MODEL_FORMAT, s3_endpoint_url)


def open_shot_models(settings: Settings) -> ModelStore[ShotModel]:
    """The shot model's registry where the settings say (SHOT_PLATFORM_MODEL_STORE / _MODEL_DIR)."""
    return shot_models_at(settings.model_store, settings.s3_endpoint_url)
