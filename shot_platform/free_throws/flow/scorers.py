"""Who computes score_beater probabilities for the flow: the champion SavedModel in this process,
or a TF Serving REST endpoint when ``SHOT_PLATFORM_SCORE_BEATER_URL`` is set: the embedded BentoML
service (``shot-platform serve``) or stock TensorFlow Serving (``tensorflow_model_server`` reading the
model store's ``models.config``; docs/serving.md), which answer alike.

Both take the model inputs (``inputs.INPUT_NAMES`` columns) as one batch and answer float64
probabilities; both count their calls (``calls``, ``rows``) so the cache can be seen to work.
In-process, the loaded SavedModel's ``serving_default`` signature is called directly (Keras
``predict()`` costs milliseconds of overhead per call). Over HTTP, one ``requests`` session keeps
the connection open, and a batch travels in TF Serving's columnar format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import requests

from shot_platform.core.scorer import CountingScorer
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.serving.champion import MODEL_NAME, NoModelError, SavedModelScorer
from shot_platform.free_throws.settings import SCORE_BEATER_URL_ENV, FreeThrowSettings

# The embedded service answers at most this many instances per request (core/serving/tf_app.py
# MAX_INSTANCES); a season of players is more, so a batch travels in several requests.
MAX_REQUEST_INSTANCES = 10_000
STABLE_LABEL = "stable"  # the champion's label in the platform's TF Serving config (core.serving.tf_serving_config)


class ScorerError(RuntimeError):
    """The scorer could not answer (the service is down or refused the batch)."""


def _columns(inputs: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: inputs[name].to_numpy(dtype=np.float32) for name in INPUT_NAMES}


@dataclass
class RestScorer:
    """score_beater behind TF Serving's REST API (the BentoML service): ``POST .../versions/N:predict``."""

    base_url: str
    version: str = ""
    timeout: float = 30.0
    calls: int = 0
    rows: int = 0
    max_instances: int = MAX_REQUEST_INSTANCES
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if not self.version:
            self.version = self.serving_version()

    def _url(self, suffix: str) -> str:
        return f"{self.base_url}/v1/models/{MODEL_NAME}{suffix}"

    def serving_version(self) -> str:
        """The champion: the ``stable`` label's version where the server has labels (stock TF Serving
        with the platform's ``models.config``, which also keeps a higher canary loaded), else the
        highest AVAILABLE version (``GET /v1/models/score_beater``; the embedded service serves one)."""
        stable = self._labelled_version(STABLE_LABEL)
        if stable is not None:
            return stable
        try:
            response = self.session.get(self._url(""), timeout=self.timeout)
        except requests.RequestException as error:
            raise ScorerError(
                f"cannot reach the score_beater service at {self.base_url} ({type(error).__name__}); "
                f"start it (`shot-platform serve`) or unset {SCORE_BEATER_URL_ENV} to score in-process"
            ) from None
        if response.status_code == 404:
            raise NoModelError(f"the service at {self.base_url} has no score_beater model: {response.text[:200]}")
        if response.status_code != 200:
            raise ScorerError(f"{response.url} answered {response.status_code}: {response.text[:200]}")
        statuses = response.json().get("model_version_status", [])
        available = [int(s["version"]) for s in statuses if s.get("state") == "AVAILABLE"]
        if not available:
            raise NoModelError(f"the service at {self.base_url} has no AVAILABLE score_beater version")
        return str(max(available))

    def _labelled_version(self, label: str) -> str | None:
        """The version a label names (``GET .../labels/<label>/metadata``: TF Serving's model status
        ignores labels, its metadata resolves them); None when the server has no such label."""
        try:
            response = self.session.get(self._url(f"/labels/{label}/metadata"), timeout=self.timeout)
        except requests.RequestException:
            return None  # the status request below says what is wrong
        if response.status_code != 200:
            return None
        try:
            version = response.json()["model_spec"]["version"]
        except (ValueError, KeyError, TypeError):
            return None
        version = str(version)
        return version if version.isascii() and version.isdigit() and version[0] != "0" else None

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        self.rows += len(inputs)
        if not len(inputs):
            return np.zeros(0)
        columns = _columns(inputs)
        url = self._url(f"/versions/{self.version}:predict")
        parts = []
        for start in range(0, len(inputs), self.max_instances):
            body = {
                "inputs": {
                    name: values[start : start + self.max_instances].tolist() for name, values in columns.items()
                }
            }
            try:
                response = self.session.post(url, json=body, timeout=self.timeout)
            except requests.RequestException as error:
                raise ScorerError(f"cannot reach the score_beater service at {self.base_url} ({error})") from None
            if response.status_code != 200:
                raise ScorerError(f"{response.url} answered {response.status_code}: {response.text[:300]}")
            part = np.asarray(response.json()["outputs"], dtype=np.float64).reshape(-1)
            expected = min(self.max_instances, len(inputs) - start)
            if len(part) != expected:  # a wrong count would shift every later player's probability
                raise ScorerError(f"{url} answered {len(part)} outputs for {expected} instances; check the server")
            parts.append(part)
        return np.concatenate(parts)


def open_scorer(models: Any, url: str | None = None) -> CountingScorer:
    """The REST scorer when a URL is given or ``SHOT_PLATFORM_SCORE_BEATER_URL`` is set, else the
    champion in-process."""
    url = url or FreeThrowSettings.from_env().score_beater_url
    if url:
        return RestScorer(url)
    return SavedModelScorer.from_store(models)


__all__ = [
    "SCORE_BEATER_URL_ENV",
    "NoModelError",
    "RestScorer",
    "SavedModelScorer",
    "ScorerError",
    "open_scorer",
]
