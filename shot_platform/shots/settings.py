"""The shot domain's variables, read by the platform's one reader (:func:`shot_platform.core.settings.read`)."""

from __future__ import annotations

from dataclasses import dataclass

from shot_platform.core.settings import FromEnv, retrain_trigger, variable

API_KEY_ENV = "SHOT_PLATFORM_API_KEY"  # required by POST /shots on the service
RETRAIN_THRESHOLD_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS"


@dataclass(frozen=True)
class ShotSettings(FromEnv):
    """Resolved shot settings; build with :meth:`from_env`."""

    api_key: str | None = variable(
        API_KEY_ENV, "unset: `POST /shots` refuses all", "service", "key for `POST /shots`", default=None, secret=True
    )
    retrain_min_new_shots: int = retrain_trigger(
        RETRAIN_THRESHOLD_ENV, "code location", "shots", "new shots that trigger shot-model retraining"
    )
