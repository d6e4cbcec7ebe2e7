"""score_beater's registry where the settings say, and how ``shot-platform models list`` shows a version."""

from __future__ import annotations

from typing import Any

from shot_platform.core.model_store import ModelStore
from shot_platform.core.settings import Settings
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.serving.champion import MODEL_NAME


def open_score_beater(settings: Settings) -> ModelStore:
    from shot_platform.core.saved_model_store import open_saved_model_store

    return open_saved_model_store(settings.model_store, settings.s3_endpoint_url, MODEL_NAME)


def describe_version(metadata: dict[str, Any]) -> dict[str, str]:
    """Every score_beater is the MLP (the baselines are compared in its metadata, never saved);
    it is judged on whole seasons, shown as in the reports (2013 -> 2013-14)."""
    seasons = metadata.get("test_seasons")
    seasons = seasons if isinstance(seasons, list) else []
    tested = ", ".join(season_short(int(s)) if str(s).lstrip("-").isdigit() else str(s) for s in seasons)
    return {"candidate": "MLP", "tested_on": tested}
