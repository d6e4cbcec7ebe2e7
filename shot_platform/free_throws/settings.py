"""The free-throw domain's variables, read by the platform's one reader
(:func:`shot_platform.core.settings.read`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shot_platform.core.settings import FromEnv, retrain_trigger, variable

RETRAIN_LABELS_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS"
SCORES_API_URL_ENV = "SHOT_PLATFORM_SCORES_API_URL"
SCORES_API_KEY_ENV = "SHOT_PLATFORM_SCORES_API_KEY"
SCORE_BEATER_URL_ENV = "SHOT_PLATFORM_SCORE_BEATER_URL"
REFERENCE_DATA_ENV = "FREE_THROWS_DATA"


@dataclass(frozen=True)
class ScoresApiSettings:
    """The provider of final games and box scores."""

    url: str | None = variable(
        SCORES_API_URL_ENV,
        "unset",
        "sync, code location",
        "base URL of the Scores API (`http://127.0.0.1:5100`)",
        default=None,
    )
    api_key: str | None = variable(
        SCORES_API_KEY_ENV,
        "unset: no key sent",
        "sync, code location, `scores-api serve`",
        "sent in the `Authorization` header; also the key `scores-api serve` requires",
        default=None,
        secret=True,
    )


@dataclass(frozen=True)
class FreeThrowSettings(FromEnv):
    """Resolved free-throw settings; build with :meth:`from_env`."""

    retrain_min_new_labels: int = retrain_trigger(
        RETRAIN_LABELS_ENV,
        "code location, sync",
        "labelled player-seasons",
        "labelled player-seasons of complete seasons that trigger score_beater retraining",
    )
    score_beater_url: str | None = variable(
        SCORE_BEATER_URL_ENV,
        "unset: score in-process",
        "sync, code location",
        "the sync scores through this service's TF Serving REST API (`http://127.0.0.1:5000`)",
        default=None,
    )
    reference_data: Path | None = variable(
        REFERENCE_DATA_ENV,
        "`../shared/data/free_throws_2006-07_2013-14.csv.gz`",
        "research comparison",
        "the free-throw events the reference comparison reads",
        default=None,
    )
    scores_api: ScoresApiSettings = field(default_factory=ScoresApiSettings)
