"""Every setting the platform takes from the environment, read here and nowhere else (tested).

The embedded default (``SHOT_PLATFORM_ENV=local``) needs no server: everything lives under
``$SHOT_PLATFORM_HOME`` (default ``./.shot_platform``). Production swaps in PostgreSQL and S3 by
setting variables, not by changing code; ``SHOT_PLATFORM_ENV=production`` refuses to start (the CLI,
the Dagster code location, the service) without them, so a pod never writes to a local SQLite file by
accident. A value that cannot be used (a number that is not one) is one :class:`SettingsError` naming
the variable, which the CLI prints as one line.

Each field declares its variable in its metadata (:class:`Variable`); the table in
docs/operations.md is :func:`variables_table`, checked by a test so the two cannot drift.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TypeVar

ENV_ENV = "SHOT_PLATFORM_ENV"  # local (default) | production
ENVIRONMENTS = ("local", "production")
HOME_ENV = "SHOT_PLATFORM_HOME"
DATABASE_URL_ENV = "SHOT_PLATFORM_DATABASE_URL"
MODEL_DIR_ENV = "SHOT_PLATFORM_MODEL_DIR"
MODEL_STORE_ENV = "SHOT_PLATFORM_MODEL_STORE"  # s3://bucket/prefix for S3; unset for MODEL_DIR
S3_ENDPOINT_ENV = "SHOT_PLATFORM_S3_ENDPOINT_URL"  # MinIO or another S3-compatible server
API_KEY_ENV = "SHOT_PLATFORM_API_KEY"  # required by POST /shots on the service
RETRAIN_THRESHOLD_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS"
RETRAIN_LABELS_ENV = "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS"
THREADS_ENV = "SHOT_PLATFORM_MODEL_THREADS"
POLL_ENV = "SHOT_PLATFORM_MODEL_POLL_SECONDS"
MAX_BODY_ENV = "SHOT_PLATFORM_MAX_BODY_BYTES"
MAX_INFLIGHT_ENV = "SHOT_PLATFORM_MAX_INFLIGHT_BYTES"
SCORES_API_URL_ENV = "SHOT_PLATFORM_SCORES_API_URL"
SCORES_API_KEY_ENV = "SHOT_PLATFORM_SCORES_API_KEY"
SCORE_BEATER_URL_ENV = "SHOT_PLATFORM_SCORE_BEATER_URL"
TF_SERVING_BASE_PATH_ENV = "SHOT_PLATFORM_TF_SERVING_BASE_PATH"
REFERENCE_DATA_ENV = "FREE_THROWS_DATA"
# Read by Dagster and BentoML themselves; here for the defaults under $SHOT_PLATFORM_HOME.
DAGSTER_HOME_ENV = "DAGSTER_HOME"
BENTOML_HOME_ENV = "BENTOML_HOME"
TF_LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"  # TensorFlow's; only written (export_variable), never read here

Number = TypeVar("Number", int, float)
DEFAULT_RETRAIN_MIN = 100
ALL = "CLI, code location, service"  # the read-by column of the settings every process uses
DEFAULT_POLL_SECONDS = 5.0
# 10,000 shots (the most one request may carry) are about 2.6 MB as /predict JSON and 4.5 MB as
# full shot-logs rows on POST /shots (measured in test_service.py); 8 MiB leaves room for both.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


class SettingsError(ValueError):
    """The environment cannot be used as it is; the message names the variable and what to set."""


@dataclass(frozen=True)
class Variable:
    """One environment variable as the operations table shows it."""

    name: str
    default: str
    read_by: str
    meaning: str
    secret: bool = False


def _declares(name: str, default: str, read_by: str, meaning: str, *, secret: bool = False) -> dict[str, Variable]:
    return {"variable": Variable(name, default, read_by, meaning, secret)}


def _text(name: str) -> str | None:
    """The variable's value, None when unset or blank (compose writes ``NAME=`` for "not set")."""
    value = os.environ.get(name, "").strip()
    return value or None


def _number(name: str, default: Number, kind: Callable[[str], Number], minimum: float, what: str) -> Number:
    text = _text(name)
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, got {text!r}") from None
    if not value >= minimum:  # also refuses nan
        raise SettingsError(f"{name} must be {what} of at least {minimum}, got {text!r}")
    return value


def _environment() -> str:
    environment = (_text(ENV_ENV) or "local").lower()
    if environment not in ENVIRONMENTS:
        raise SettingsError(f"{ENV_ENV} must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    if environment == "production":
        missing = [name for name in (DATABASE_URL_ENV, MODEL_STORE_ENV) if _text(name) is None]
        if missing:
            raise SettingsError(
                f"{ENV_ENV}=production needs {' and '.join(missing)} (the PostgreSQL URL and the model store, "
                "e.g. s3://bucket/prefix); set them, or unset SHOT_PLATFORM_ENV to use the embedded local store"
            )
    return environment


@dataclass(frozen=True)
class ServingSettings:
    """The prediction service's polling and request-size limits."""

    poll_seconds: float = field(
        default=DEFAULT_POLL_SECONDS,
        metadata=_declares(
            POLL_ENV, "`5`", "service", "how often the service looks for a new champion or new profiles"
        ),
    )
    max_body_bytes: int = field(
        default=DEFAULT_MAX_BODY_BYTES,
        metadata=_declares(MAX_BODY_ENV, "`8388608`", "service", "request-body limit of the service (413 above it)"),
    )
    # Bodies being worked on at once (two of the largest): a request holds several times its body in
    # memory while it is parsed and scored; more wait their turn (503 after 10 s).
    max_inflight_bytes: int = field(
        default=2 * DEFAULT_MAX_BODY_BYTES,
        metadata=_declares(
            MAX_INFLIGHT_ENV, "2 x the body limit", "service", "bytes of request bodies worked on at once (503 above)"
        ),
    )

    @classmethod
    def from_env(cls) -> ServingSettings:
        max_body = _number(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES, int, 1, "a whole number of bytes")
        return cls(
            poll_seconds=_number(POLL_ENV, DEFAULT_POLL_SECONDS, float, 0.01, "a number of seconds"),
            max_body_bytes=max_body,
            max_inflight_bytes=_number(MAX_INFLIGHT_ENV, 2 * max_body, int, 1, "a whole number of bytes"),
        )


@dataclass(frozen=True)
class ScoresApiSettings:
    """The provider of final games and box scores."""

    url: str | None = field(
        default=None,
        metadata=_declares(
            SCORES_API_URL_ENV, "unset", "sync, code location", "base URL of the Scores API (`http://127.0.0.1:5100`)"
        ),
    )
    api_key: str | None = field(
        default=None,
        metadata=_declares(
            SCORES_API_KEY_ENV,
            "unset: no key sent",
            "sync, code location, `scores-api serve`",
            "sent in the `Authorization` header; also the key `scores-api serve` requires",
            secret=True,
        ),
    )

    @classmethod
    def from_env(cls) -> ScoresApiSettings:
        return cls(url=_text(SCORES_API_URL_ENV), api_key=_text(SCORES_API_KEY_ENV))


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`from_env`."""

    home: Path = field(
        metadata=_declares(HOME_ENV, "`./.shot_platform`", "everything", "where the embedded default writes")
    )
    database_url: str = field(
        metadata=_declares(
            DATABASE_URL_ENV,
            "`sqlite:///$SHOT_PLATFORM_HOME/store.db`",
            ALL,
            "SQLAlchemy URL of the store, e.g. `postgresql+psycopg2://user:pw@host:5432/db`",
            secret=True,
        )
    )
    model_dir: Path = field(metadata=_declares(MODEL_DIR_ENV, "`$SHOT_PLATFORM_HOME/models`", ALL, "local model store"))
    model_store: str = field(
        default="",
        metadata=_declares(MODEL_STORE_ENV, "the model dir", ALL, "`s3://bucket/prefix` for S3"),
    )
    s3_endpoint_url: str | None = field(
        default=None,
        metadata=_declares(S3_ENDPOINT_ENV, "AWS", ALL, "S3-compatible endpoint (MinIO)"),
    )
    environment: str = field(
        default="local",
        metadata=_declares(
            ENV_ENV,
            "`local`",
            ALL,
            "`production` refuses to start without a database and a model store",
        ),
    )
    api_key: str | None = field(
        default=None,
        metadata=_declares(
            API_KEY_ENV, "unset: `POST /shots` refuses all", "service", "key for `POST /shots`", secret=True
        ),
    )
    retrain_min_new_shots: int = field(
        default=DEFAULT_RETRAIN_MIN,
        metadata=_declares(
            RETRAIN_THRESHOLD_ENV, "`100`", "code location", "new shots that trigger shot-model retraining"
        ),
    )
    retrain_min_new_labels: int = field(
        default=DEFAULT_RETRAIN_MIN,
        metadata=_declares(
            RETRAIN_LABELS_ENV,
            "`100`",
            "code location, sync",
            "labelled player-seasons of complete seasons that trigger score_beater retraining",
        ),
    )
    model_threads: int = field(
        default=1,
        metadata=_declares(THREADS_ENV, "`1`", "training, scoring", "CPU threads for fitting and scoring (see below)"),
    )
    score_beater_url: str | None = field(
        default=None,
        metadata=_declares(
            SCORE_BEATER_URL_ENV,
            "unset: score in-process",
            "sync, code location",
            "the sync scores through this service's TF Serving REST API (`http://127.0.0.1:5000`)",
        ),
    )
    tf_serving_base_path: str | None = field(
        default=None,
        metadata=_declares(
            TF_SERVING_BASE_PATH_ENV,
            "the store's directory, else `/models/<name>`",
            "`models.config` writer",
            "base_path of the versions as TF Serving sees them",
        ),
    )
    reference_data: Path | None = field(
        default=None,
        metadata=_declares(
            REFERENCE_DATA_ENV,
            "`../shared/data/free_throws_2006-07_2013-14.csv.gz`",
            "research comparison",
            "the free-throw events the reference comparison reads",
        ),
    )
    dagster_home_dir: Path | None = field(
        default=None,
        metadata=_declares(
            DAGSTER_HOME_ENV, "`$SHOT_PLATFORM_HOME/dagster`", "Dagster, `materialize`", "Dagster instance"
        ),
    )
    bentoml_home: Path | None = field(
        default=None,
        metadata=_declares(
            BENTOML_HOME_ENV, "`$SHOT_PLATFORM_HOME/bentoml/serve-<port>`", "BentoML, `serve`", "BentoML's home"
        ),
    )
    serving: ServingSettings = field(default_factory=ServingSettings)
    scores_api: ScoresApiSettings = field(default_factory=ScoresApiSettings)

    @property
    def dagster_home(self) -> Path:
        return self.dagster_home_dir or self.home / "dagster"

    @property
    def plot_dir(self) -> Path:
        return self.home / "plots"

    @classmethod
    def from_env(cls) -> Settings:
        """Raises :class:`SettingsError` in production mode without a database URL and a model store,
        or when a value cannot be used."""
        environment = _environment()
        home = Path(_text(HOME_ENV) or ".shot_platform").absolute()
        model_dir = Path(_text(MODEL_DIR_ENV) or home / "models").absolute()
        reference_data, dagster_home, bentoml_home = (
            _text(REFERENCE_DATA_ENV),
            _text(DAGSTER_HOME_ENV),
            _text(BENTOML_HOME_ENV),
        )
        return cls(
            home=home,
            database_url=_text(DATABASE_URL_ENV) or f"sqlite:///{home / 'store.db'}",
            model_dir=model_dir,
            model_store=_text(MODEL_STORE_ENV) or str(model_dir),
            s3_endpoint_url=_text(S3_ENDPOINT_ENV),
            environment=environment,
            api_key=_text(API_KEY_ENV),
            retrain_min_new_shots=_number(
                RETRAIN_THRESHOLD_ENV, DEFAULT_RETRAIN_MIN, int, 1, "a whole number of shots"
            ),
            retrain_min_new_labels=_number(
                RETRAIN_LABELS_ENV, DEFAULT_RETRAIN_MIN, int, 1, "a whole number of labelled player-seasons"
            ),
            model_threads=_number(THREADS_ENV, 1, int, 1, "a whole number of threads"),
            score_beater_url=_text(SCORE_BEATER_URL_ENV),
            tf_serving_base_path=_text(TF_SERVING_BASE_PATH_ENV),
            reference_data=Path(reference_data) if reference_data else None,
            dagster_home_dir=Path(dagster_home) if dagster_home else None,
            bentoml_home=Path(bentoml_home) if bentoml_home else None,
            serving=ServingSettings.from_env(),
            scores_api=ScoresApiSettings.from_env(),
        )


def configured(name: str) -> bool:
    """Whether the variable is set: Dagster refuses an ``EnvVar`` whose variable is unset, so the
    resources pass ``EnvVar(name)`` (its name in the UI, never its value) only then."""
    return _text(name) is not None


def export_variable(name: str, value: str, *, keep_existing: bool = False) -> None:
    """Set a variable in this process, for libraries that read it themselves: ``DAGSTER_HOME`` for
    ``DagsterInstance.get()``, ``TF_CPP_MIN_LOG_LEVEL`` before TensorFlow's import (read once then).
    ``keep_existing`` leaves a value the user set."""
    if keep_existing:
        os.environ.setdefault(name, value)
    else:
        os.environ[name] = value


def child_environment(
    *, drop: tuple[str, ...] = (), pythonpath: str | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for a child process: this one's (the child reads its own settings from it),
    without ``drop``, with ``pythonpath`` first on ``PYTHONPATH`` and ``overrides`` applied."""
    env = {key: value for key, value in os.environ.items() if key not in drop}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return env | dict(overrides or {})


def variables(settings_class: type = Settings) -> Iterator[Variable]:
    """Every variable a field declares, sub-settings included, in field order."""
    for item in fields(settings_class):
        if "variable" in item.metadata:
            yield item.metadata["variable"]
        elif is_dataclass(item.default_factory):
            yield from variables(item.default_factory)


def variables_table() -> str:
    """The Markdown table of docs/operations.md."""
    rows = ["| variable | default | read by | secret | meaning |", "| --- | --- | --- | --- | --- |"]
    for variable in variables():
        secret = "yes" if variable.secret else "no"
        rows.append(f"| `{variable.name}` | {variable.default} | {variable.read_by} | {secret} | {variable.meaning} |")
    return "\n".join(rows) + "\n"
