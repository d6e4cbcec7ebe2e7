"""Resource configuration from the environment, shown by Dagster as the variable's name, never its value."""

from __future__ import annotations

from dagster import EnvVar

from shot_platform.core.settings import configured


def env_setting(name: str) -> EnvVar | str:
    """``EnvVar(name)`` when the variable is set, so Dagster shows its name and never its value (a
    database password stays out of the UI and the run storage); "" when it is not, which the
    resource resolves to the embedded default (SQLite and models under $SHOT_PLATFORM_HOME) when used.
    Dagster refuses an ``EnvVar`` whose variable is unset, so the default cannot be an EnvVar."""
    return EnvVar(name) if configured(name) else ""
