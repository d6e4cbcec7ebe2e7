"""Every setting the platform takes from the environment, read here and nowhere else (tested).

The embedded default (``SHOT_PLATFORM_ENV=local``) needs no server: everything lives under
``$SHOT_PLATFORM_HOME`` (default ``./.shot_platform``). Production swaps in PostgreSQL and S3 by
setting variables, not by changing code; ``SHOT_PLATFORM_ENV=production`` refuses to start (the CLI,
the Dagster code location, the service) without them, so a pod never writes to a local SQLite file by
accident. A value that cannot be used (a number that is not one) is one :class:`SettingsError` naming
the variable, which the CLI prints as one line.

Each field declares its variable in its metadata (:func:`variable`); the table in
docs/operations.md is :func:`variables_table`, checked by a test so the two cannot drift.

A domain's own variables (its thresholds, its providers, its keys) are fields of its own settings
dataclass in its package, named by its :class:`~shot_platform.core.domain.Domain` (``settings``) and
read here by :func:`read` (``SomeDomainSettings.from_env()`` delegates to it), so that this module
stays the one reader of the environment without naming a domain. :meth:`Settings.from_env` reads
every domain's too, so a value that cannot be used stops a process at start-up, not at first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args, get_type_hints

from shot_platform.core.domain import domains

ENV_ENV = "SHOT_PLATFORM_ENV"  # local (default) | production
ENVIRONMENTS = ("local", "production")
HOME_ENV = "SHOT_PLATFORM_HOME"
DATABASE_URL_ENV = "SHOT_PLATFORM_DATABASE_URL"
MODEL_DIR_ENV = "SHOT_PLATFORM_MODEL_DIR"
MODEL_STORE_ENV = "SHOT_PLATFORM_MODEL_STORE"  # s3://bucket/prefix for S3; unset for MODEL_DIR
S3_ENDPOINT_ENV = "SHOT_PLATFORM_S3_ENDPOINT_URL"  # MinIO or another S3-compatible server
THREADS_ENV = "SHOT_PLATFORM_MODEL_THREADS"
POLL_ENV = "SHOT_PLATFORM_MODEL_POLL_SECONDS"
MAX_BODY_ENV = "SHOT_PLATFORM_MAX_BODY_BYTES"
MAX_INFLIGHT_ENV = "SHOT_PLATFORM_MAX_INFLIGHT_BYTES"
TF_SERVING_BASE_PATH_ENV = "SHOT_PLATFORM_TF_SERVING_BASE_PATH"
# Read by Dagster and BentoML themselves; here for the defaults under $SHOT_PLATFORM_HOME.
DAGSTER_HOME_ENV = "DAGSTER_HOME"
BENTOML_HOME_ENV = "BENTOML_HOME"
TF_LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"  # TensorFlow's; only written (export_variable), never read here

Number = TypeVar("Number", int, float)
SettingsClass = TypeVar("SettingsClass")
ALL = "CLI, code location, service"  # the read-by column of the settings every process uses
DEFAULT_POLL_SECONDS = 5.0
# The largest request a domain's endpoint accepts (10,000 rows) is about 2.6 MB as /predict JSON
# and 4.5 MB as full input rows (measured in the service's tests); 8 MiB leaves room for both.
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


def variable(
    name: str,
    shown_default: str,
    read_by: str,
    meaning: str,
    *,
    default: Any = MISSING,
    secret: bool = False,
    what: str = "a whole number",
    minimum: float = 1,
) -> Any:
    """A settings field read from the variable ``name`` (shown in the table as the other arguments say);
    for a number field :func:`read` parses, ``what`` the value must be (in the error) and its ``minimum``."""
    metadata = {"variable": Variable(name, shown_default, read_by, meaning, secret), "number": (what, minimum)}
    return field(default=default, metadata=metadata)


def retrain_trigger(name: str, read_by: str, rows: str, meaning: str) -> Any:
    """A settings field: how many new ``rows`` trigger retraining, 100 by default; 0 retrains on any
    new row (the nothing-new guard still holds)."""
    return variable(name, "`100`", read_by, meaning, default=100, what=f"a whole number of {rows}", minimum=0)


class FromEnv:
    """A domain's settings dataclass: ``from_env()`` reads it with :func:`read`."""

    @classmethod
    def from_env(cls: type[SettingsClass]) -> SettingsClass:
        """Raises :class:`SettingsError` naming a variable that cannot be used."""
        return read(cls)


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

    poll_seconds: float = variable(
        POLL_ENV,
        "`5`",
        "service",
        "how often the service looks for a new champion or new profiles",
        default=DEFAULT_POLL_SECONDS,
    )
    max_body_bytes: int = variable(
        MAX_BODY_ENV,
        "`8388608`",
        "service",
        "request-body limit of the service (413 above it)",
        default=DEFAULT_MAX_BODY_BYTES,
    )
    # Bodies being worked on at once (two of the largest): a request holds several times its body in
    # memory while it is parsed and scored; more wait their turn (503 after 10 s).
    max_inflight_bytes: int = variable(
        MAX_INFLIGHT_ENV,
        "2 x the body limit",
        "service",
        "bytes of request bodies worked on at once (503 above)",
        default=2 * DEFAULT_MAX_BODY_BYTES,
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
class Settings:
    """Resolved settings; build with :meth:`from_env`."""

    home: Path = variable(HOME_ENV, "`./.shot_platform`", "everything", "where the embedded default writes")
    database_url: str = variable(
        DATABASE_URL_ENV,
        "`sqlite:///$SHOT_PLATFORM_HOME/store.db`",
        ALL,
        "SQLAlchemy URL of the store, e.g. `postgresql+psycopg2://user:pw@host:5432/db`",
        secret=True,
    )
    model_dir: Path = variable(MODEL_DIR_ENV, "`$SHOT_PLATFORM_HOME/models`", ALL, "local model store")
    model_store: str = variable(MODEL_STORE_ENV, "the model dir", ALL, "`s3://bucket/prefix` for S3", default="")
    s3_endpoint_url: str | None = variable(S3_ENDPOINT_ENV, "AWS", ALL, "S3-compatible endpoint (MinIO)", default=None)
    environment: str = variable(
        ENV_ENV, "`local`", ALL, "`production` refuses to start without a database and a model store", default="local"
    )
    model_threads: int = variable(
        THREADS_ENV, "`1`", "training, scoring", "CPU threads for fitting and scoring (see below)", default=1
    )
    tf_serving_base_path: str | None = variable(
        TF_SERVING_BASE_PATH_ENV,
        "the store's directory, else `/models/<name>`",
        "`models.config` writer",
        "base_path of the versions as TF Serving sees them",
        default=None,
    )
    dagster_home_dir: Path | None = variable(
        DAGSTER_HOME_ENV, "`$SHOT_PLATFORM_HOME/dagster`", "Dagster, `materialize`", "Dagster instance", default=None
    )
    bentoml_home: Path | None = variable(
        BENTOML_HOME_ENV,
        "`$SHOT_PLATFORM_HOME/bentoml/serve-<port>`",
        "BentoML, `serve`",
        "BentoML's home",
        default=None,
    )
    serving: ServingSettings = field(default_factory=ServingSettings)

    @property
    def dagster_home(self) -> Path:
        return self.dagster_home_dir or self.home / "dagster"

    @classmethod
    def from_env(cls) -> Settings:
        """Raises :class:`SettingsError` in production mode without a database URL and a model store,
        or when a value cannot be used."""
        environment = _environment()
        home = Path(_text(HOME_ENV) or ".shot_platform").absolute()
        model_dir = Path(_text(MODEL_DIR_ENV) or home / "models").absolute()
        dagster_home, bentoml_home = _text(DAGSTER_HOME_ENV), _text(BENTOML_HOME_ENV)
        for settings_class in domain_settings():
            read(settings_class)  # a domain's value that cannot be used stops the process now
        return cls(
            home=home,
            database_url=_text(DATABASE_URL_ENV) or f"sqlite:///{home / 'store.db'}",
            model_dir=model_dir,
            model_store=_text(MODEL_STORE_ENV) or str(model_dir),
            s3_endpoint_url=_text(S3_ENDPOINT_ENV),
            environment=environment,
            model_threads=_number(THREADS_ENV, 1, int, 1, "a whole number of threads"),
            tf_serving_base_path=_text(TF_SERVING_BASE_PATH_ENV),
            dagster_home_dir=Path(dagster_home) if dagster_home else None,
            bentoml_home=Path(bentoml_home) if bentoml_home else None,
            serving=ServingSettings.from_env(),
        )


def domain_settings() -> list[type]:
    """Each registered domain's settings dataclass (a domain without variables declares none)."""
    return [found.load("settings") for found in domains() if found.settings]


def read(settings_class: type[SettingsClass]) -> SettingsClass:
    """A settings dataclass from the environment: each field declaring a variable takes its value
    (its default when unset or blank), a number parsed and checked as its metadata says (one
    :class:`SettingsError` naming the variable otherwise); a field holding a settings dataclass is
    read the same way."""
    hints = get_type_hints(settings_class)
    values: dict[str, Any] = {}
    for item in fields(settings_class):  # type: ignore[arg-type]
        if "variable" in item.metadata:
            values[item.name] = _value(item.metadata, hints[item.name], item.default)
        elif is_dataclass(item.default_factory):
            values[item.name] = read(item.default_factory)  # type: ignore[arg-type]
    return settings_class(**values)


def _value(metadata: Mapping[str, Any], kind: Any, default: Any) -> Any:
    name = metadata["variable"].name
    if kind in (int, float):
        what, minimum = metadata["number"]
        return _number(name, default, kind, minimum, what)
    text = _text(name)
    if text is None:
        return default
    return Path(text) if Path in (kind, *get_args(kind)) else text


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


def variables(settings_class: type | None = None) -> Iterator[Variable]:
    """Every variable a field declares, sub-settings included, in field order; by default the
    platform's then each domain's."""
    if settings_class is None:
        for each in (Settings, *domain_settings()):
            yield from variables(each)
        return
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
