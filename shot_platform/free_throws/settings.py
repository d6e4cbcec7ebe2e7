"""The free-throw domain's variables, read by the platform's one reader
(:func:`shot_platform.core.settings.read`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shot_platform.core.settings import declares, read

RETRAIN_LABELS_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS"
SCORES_API_URL_ENV = "SHOT_PLATFORM_SCORES_API_URL"
SCORES_API_KEY_ENV = "SHOT_PLATFORM_SCORES_API_KEY"
SCORE_BEATER_URL_ENV = "SHOT_PLATFORM_SCORE_BEATER_URL"
REFERENCE_DATA_ENV = "FREE_THROWS_DATA"
DEFAULT_RETRAIN_MIN = 100


@dataclass(frozen=True)
class ScoresApiSettings:
    """The provider of final games and box scores."""

    url: str | None = field(
        default=None,
        metadata=declares(
            SCORES_API_URL_ENV, "unset", "sync, code location", "base URL of the Scores API (`http://127.0.0.1:5100`)"
        ),
    )
    api_key: str | None = field(
        default=None,
        metadata=declares(
            SCORES_API_KEY_ENV,
            "unset: no key sent",
            "sync, code location, `scores-api serve`",
            "sent in the `Authorization` header; also the key `scores-api serve` requires",
            secret=True,
        ),
    )


@dataclass(frozen=True)
class FreeThrowSettings:
    """Resolved free-throw settings; build with :meth:`from_env`."""

    retrain_min_new_labels: int = field(
        default=DEFAULT_RETRAIN_MIN,
        metadata=declares(
            RETRAIN_LABELS_ENV,
            "`100`",
            "code location, sync",
            "labelled player-seasons of complete seasons that trigger score_beater retraining",
            what="a whole number of labelled player-seasons",
            minimum=0,  # 0: retrain on any new label (the nothing-new guard still holds)
        ),
    )
    score_beater_url: str | None = field(
        default=None,
        metadata=declares(
            SCORE_BEATER_URL_ENV,
            "unset: score in-process",
            "sync, code location",
            "the sync scores through this service's TF Serving REST API (`http://127.0.0.1:5000`)",
        ),
    )
    reference_data: Path | None = field(
        default=None,
        metadata=declares(
            REFERENCE_DATA_ENV,
            "`../shared/data/free_throws_2006-07_2013-14.csv.gz`",
            "research comparison",
            "the free-throw events the reference comparison reads",
        ),
    )
    scores_api: ScoresApiSettings = field(default_factory=ScoresApiSettings)

    @classmethod
    def from_env(cls) -> FreeThrowSettings:
        """Raises :class:`~shot_platform.core.settings.SettingsError` naming a variable that cannot be used."""
        return read(cls)
