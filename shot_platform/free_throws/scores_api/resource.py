"""Dagster resources for the Scores API: the live provider and the replay server.

Both hand out a client with :meth:`get_client`. Build the live one from the environment with
:func:`scores_api_from_env` (``EnvVar``, resolved when a run starts, so the code location loads
without the variables); the replay one either points at a running replay server (``base_url``) or
starts its own for the duration of the run (``data_path``), e.g. for a demo or a test.
"""

from __future__ import annotations

import contextlib
from typing import Any, TypeVar

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from shot_platform.core.settings import configured
from shot_platform.free_throws.scores_api.client import KEY_ENV, URL_ENV, ReplayClient, ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server

_Client = TypeVar("_Client", bound=ScoresApiClient)


class _ClientResource(ConfigurableResource):
    """What both resources configure of their client: the key, the read time-out and the retries."""

    api_key: str | None = Field(default=None, description="sent in the Authorization header")
    timeout_seconds: float = Field(default=10.0, description="read time-out of one request")
    retries: int = Field(default=8, description="retries of 5xx, 429 and connection errors, with backoff")
    backoff_factor: float = Field(default=0.1, description="seconds; retry n waits factor * 2^(n-1)")

    def _client(self, client_class: type[_Client], base_url: str, **limits: Any) -> _Client:
        return client_class(
            base_url,
            self.api_key or "",
            timeout=self.timeout_seconds,
            retries=self.retries,
            backoff_factor=self.backoff_factor,
            **limits,
        )


class ScoresApiResource(_ClientResource):
    """A Scores API provider at ``base_url`` (``$SHOT_PLATFORM_SCORES_API_URL``)."""

    base_url: str = Field(description="the provider's base URL, e.g. https://api.example.com")
    deadline_seconds: float = Field(default=120.0, description="one request, every retry and wait included")
    max_body_bytes: int = Field(default=16 * 2**20, description="an answer's body is read up to this")
    max_pages: int = Field(default=1_000, description="pages of one listing before it is refused")

    def get_client(self) -> ScoresApiClient:
        return self._client(
            ScoresApiClient,
            self.base_url,
            deadline=self.deadline_seconds,
            max_body_bytes=self.max_body_bytes,
            max_pages=self.max_pages,
        )


class ReplayScoresApiResource(_ClientResource):
    """The replay server: ``base_url`` of a running one, or ``data_path`` to start one for the run."""

    base_url: str | None = Field(default=None, description="a running `shot-platform scores-api serve`")
    data_path: str | None = Field(default=None, description="a free-throw file: start a server on a free port")
    release: str = Field(default="all", description="with data_path: results final at start, 'all' or N")
    games_per_second: float | None = Field(default=None, description="with data_path: release on a timer")

    _url: str | None = PrivateAttr(default=None)
    _server: contextlib.ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        if self.base_url:
            self._url = self.base_url
            return
        if not self.data_path:
            raise ValueError("ReplayScoresApiResource needs base_url (a running replay server) or data_path")
        self._server = contextlib.ExitStack()
        self._url = self._server.enter_context(
            replay_server(
                self.data_path, release=self.release, games_per_second=self.games_per_second, api_key=self.api_key
            )
        )
        if context.log:
            context.log.info(f"replay server for {self.data_path} on {self._url}")

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the replay resource is not set up (use it inside a run)")
        return self._url

    def get_client(self) -> ReplayClient:
        return self._client(ReplayClient, self.url)


def scores_api_from_env() -> ScoresApiResource:
    """The live provider from ``$SHOT_PLATFORM_SCORES_API_URL`` and, if set, ``$SHOT_PLATFORM_SCORES_API_KEY``."""
    return ScoresApiResource(
        base_url=EnvVar(URL_ENV),
        api_key=EnvVar(KEY_ENV) if configured(KEY_ENV) else None,
    )
