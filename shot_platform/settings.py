"""Where the platform keeps things, read from the environment in one place.

The embedded default needs no server: everything lives under
``$SHOT_PLATFORM_HOME`` (default ``./.shot_platform``). Production swaps in
PostgreSQL and S3 by setting variables, not by changing code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "SHOT_PLATFORM_HOME"
DATABASE_URL_ENV = "SHOT_PLATFORM_DATABASE_URL"
MODEL_DIR_ENV = "SHOT_PLATFORM_MODEL_DIR"


@dataclass(frozen=True)
class Settings:
    """Resolved locations; build with :meth:`from_env`."""

    home: Path
    database_url: str
    model_dir: Path

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.home / "dagster")

    @property
    def plot_dir(self) -> Path:
        return self.home / "plots"

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get(HOME_ENV) or ".shot_platform").absolute()
        url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'store.db'}"
        model_dir = Path(os.environ.get(MODEL_DIR_ENV) or home / "models").absolute()
        return cls(home=home, database_url=url, model_dir=model_dir)
