"""The shot domain's variables, read by the platform's one reader (:func:`shot_platform.core.settings.read`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shot_platform.core.settings import declares, read

API_KEY_ENV = "SHOT_PLATFORM_API_KEY"  # required by POST /shots on the service
RETRAIN_THRESHOLD_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS"
DEFAULT_RETRAIN_MIN = 100


@dataclass(frozen=True)
class ShotSettings:
    """Resolved shot settings; build with :meth:`from_env`."""

    api_key: str | None = field(
        default=None,
        metadata=declares(
            API_KEY_ENV, "unset: `POST /shots` refuses all", "service", "key for `POST /shots`", secret=True
        ),
    )
    retrain_min_new_shots: int = field(
        default=DEFAULT_RETRAIN_MIN,
        metadata=declares(
            RETRAIN_THRESHOLD_ENV,
            "`100`",
            "code location",
            "new shots that trigger shot-model retraining",
            what="a whole number of shots",
            minimum=0,  # 0: retrain on any new shot (the nothing-new guard still holds)
        ),
    )

    @classmethod
    def from_env(cls) -> ShotSettings:
        """Raises :class:`~shot_platform.core.settings.SettingsError` naming a variable that cannot be used."""
        return read(cls)
