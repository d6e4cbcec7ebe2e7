"""Resources are configured through Dagster's EnvVar: a secret in the environment never appears in
what Dagster shows (the UI reads the repository snapshot), and with no variable set the embedded
default (SQLite and models under $SHOT_PLATFORM_HOME) still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import Definitions
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from shot_platform.definitions import defs
from shot_platform.free_throws import definitions as free_throws_definitions
from shot_platform.shots import definitions as shots_definitions
from shot_platform.shots.jobs import retrain_job
from shot_platform.shots.sensors import retrain_on_new_shots

PASSWORD = "s3cret-Pa55word"


def default_resources() -> dict:
    """Both domains' resources, built from the environment as it is now."""
    return {**shots_definitions.resources(), **free_throws_definitions.resources()}


def snapshot_text(resources: dict) -> str:
    """The repository snapshot the Dagster webserver renders, as JSON."""
    location = Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[retrain_job],
        sensors=[retrain_on_new_shots],
        resources=resources,
    )
    return serialize_value(RepositorySnap.from_def(location.get_repository_def()))


def test_a_database_password_never_reaches_what_dagster_shows(monkeypatch: pytest.MonkeyPatch):
    url = f"postgresql+psycopg2://shots:{PASSWORD}@db.internal:5432/shots"
    monkeypatch.setenv("SHOT_PLATFORM_DATABASE_URL", url)
    monkeypatch.setenv("SHOT_PLATFORM_MODEL_STORE", "s3://models/shot_platform")
    monkeypatch.setenv("SHOT_PLATFORM_S3_ENDPOINT_URL", "http://minio:9000")
    resources = default_resources()
    shown = snapshot_text(resources)
    assert PASSWORD not in shown and "db.internal" not in shown
    assert "SHOT_PLATFORM_DATABASE_URL" in shown and "SHOT_PLATFORM_MODEL_STORE" in shown  # the names are shown
    # ...and the value is still what the resource uses at run time.
    assert resources["shot_store"].process_config_and_initialize().database_url == url


def test_with_no_variable_set_the_embedded_default_is_used(platform_home: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("SHOT_PLATFORM_MODEL_STORE", "SHOT_PLATFORM_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    resources = default_resources()
    assert str(platform_home) not in snapshot_text(resources)  # nothing resolved at import
    store = resources["shot_store"].process_config_and_initialize().get()
    assert store.engine.url.render_as_string() == f"sqlite:///{platform_home / 'store.db'}"
    models = resources["shot_models"].process_config_and_initialize().get()
    assert models.blobs.describe() == str(platform_home / "models") and models.name == "shot_model"
