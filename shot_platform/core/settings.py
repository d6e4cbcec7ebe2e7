"""Where the platform keeps things, read from the environment in one place.

The embedded default (``SHOT_PLATFORM_ENV=local``) needs no server: everything lives under
``$SHOT_PLATFORM_HOME`` (default ``./.shot_platform``). Production swaps in PostgreSQL and S3 by
setting variables, not by changing code; ``SHOT_PLATFORM_ENV=production`` refuses to start (the CLI,
the Dagster code location, the service) without them, so a pod never writes to a local SQLite file by
accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_ENV = "SHOT_PLATFORM_ENV"  # local (default) | production
ENVIRONMENTS = ("local", "production")
HOME_ENV = "SHOT_PLATFORM_HOME"
DATABASE_URL_ENV = "SHOT_PLATFORM_DATABASE_URL"
MODEL_DIR_ENV = "SHOT_PLATFORM_MODEL_DIR"
MODEL_STORE_ENV = "SHOT_PLATFORM_MODEL_STORE"  # s3://bucket/prefix for S3; unset for MODEL_DIR
S3_ENDPOINT_ENV = "SHOT_PLATFORM_S3_ENDPOINT_URL"  # MinIO or another S3-compatible server
API_KEY_ENV = "SHOT_PLATFORM_API_KEY"  # required by POST /shots on the service
RETRAIN_THRESHOLD_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS"


class SettingsError(ValueError):
    """The environment cannot be used as it is; the message names the variable and what to set."""


def _production_requirements() -> None:
    environment = (os.environ.get(ENV_ENV) or "local").strip().lower()
    if environment not in ENVIRONMENTS:
        raise SettingsError(f"{ENV_ENV} must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    if environment != "production":
        return
    missing = [name for name in (DATABASE_URL_ENV, MODEL_STORE_ENV) if not (os.environ.get(name) or "").strip()]
    if missing:
        raise SettingsError(
            f"{ENV_ENV}=production needs {' and '.join(missing)} (the PostgreSQL URL and the model store, "
            "e.g. s3://bucket/prefix); set them, or unset SHOT_PLATFORM_ENV to use the embedded local store"
        )


def is_set(name: str) -> bool:
    """Whether the variable ``name`` is set and not empty (the code location gives Dagster an ``EnvVar``
    only then: Dagster refuses one whose variable is unset)."""
    return bool((os.environ.get(name) or "").strip())


@dataclass(frozen=True)
class Settings:
    """Resolved locations; build with :meth:`from_env`."""

    home: Path
    database_url: str
    model_dir: Path
    model_store: str = ""
    s3_endpoint_url: str | None = None
    api_key: str | None = None
    retrain_min_new_shots: int = 100

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.home / "dagster")

    @property
    def plot_dir(self) -> Path:
        return self.home / "plots"

    @classmethod
    def from_env(cls) -> Settings:
        """Raises :class:`SettingsError` in production mode without a database URL and a model store."""
        _production_requirements()
        home = Path(os.environ.get(HOME_ENV) or ".shot_platform").absolute()
        url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'store.db'}"
        model_dir = Path(os.environ.get(MODEL_DIR_ENV) or home / "models").absolute()
        return cls(
            home=home,
            database_url=url,
            model_dir=model_dir,
            model_store=os.environ.get(MODEL_STORE_ENV) or str(model_dir),
            s3_endpoint_url=os.environ.get(S3_ENDPOINT_ENV) or None,
            api_key=os.environ.get(API_KEY_ENV) or None,
            retrain_min_new_shots=int(os.environ.get(RETRAIN_THRESHOLD_ENV) or 100),
        )
