"""The shot domain's unit on the prediction service (:mod:`shot_platform.core.serving.unit`):
``POST /predict`` with the champion shot model, ``POST /shots`` (ingest, with the API key), and the
``shot_model`` readiness entry (the served version, the registry's champion and the last error)."""

from __future__ import annotations

import hmac
import logging
import uuid
from typing import Any

import bentoml
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

from shot_platform.core.serving.batcher import MicroBatcher, NoModelLoaded
from shot_platform.core.serving.unit import UnitBase
from shot_platform.core.settings import Settings
from shot_platform.shots.ingest.shots import ingest_shot_frame
from shot_platform.shots.models.registry import SHOT_MODEL, open_shot_models
from shot_platform.shots.serving.request_log import shot_request_log
from shot_platform.shots.serving.schema import MAX_SHOTS_PER_REQUEST, ShotsInput
from shot_platform.shots.serving.state import shot_state_watcher
from shot_platform.shots.settings import ShotSettings
from shot_platform.shots.store import ShotStore

VERSION_HEADER = "X-Model-Version"
NO_MODEL = "no model is loaded yet: train one with `shot-platform materialize` (or promote one)"
log = logging.getLogger("shot_platform.serving")

predictions_total = bentoml.metrics.Counter(
    name="shot_predictions_total", documentation="Shots scored", labelnames=["model_version"]
)
batch_rows = bentoml.metrics.Histogram(
    name="shot_batch_rows",
    documentation="Shots per model call (adaptive batching)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096),
)
model_info = bentoml.metrics.Gauge(
    name="shot_model_info",
    documentation="1 for the model version being served, 0 for versions served before",
    labelnames=["model_version"],
)
model_divergence = bentoml.metrics.Gauge(
    name="shot_model_divergence",
    documentation="1 while the served model is not the registry's usable champion (see /readyz for why)",
)
request_log_pending = bentoml.metrics.Gauge(
    name="shot_request_log_pending", documentation="Request-log rows not yet written to the store"
)


def authorized(api_key: str | None, headers) -> bool:
    """Constant-time check of a Bearer token or X-API-Key header; no key configured means no access."""
    if not api_key:
        return False
    offered = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(offered) and hmac.compare_digest(offered.encode(), api_key.encode())


def _on_swap(version: str, previous: str | None) -> None:
    # Prometheus' multi-process mode (BentoML's) cannot clear a labelled gauge: the old
    # label's file value would stay 1. Setting it to 0 is what every process then reports.
    if previous is not None and previous != version:
        model_info.labels(model_version=previous).set(0)
    model_info.labels(model_version=version).set(1)


def _on_status(status: dict) -> None:
    model_divergence.set(1 if status["diverged"] else 0)


class ShotUnit(UnitBase):
    """Scores shots with the champion; switches champions without a restart."""

    def start(self, settings: Settings) -> None:
        store = ShotStore(settings.database_url)
        try:
            store.create_schema()
        except Exception as error:
            log.warning("store not reachable at start-up: %s", error)
        self.store, self.api_key = store, ShotSettings.from_env().api_key
        if not self.api_key:
            log.warning("SHOT_PLATFORM_API_KEY is not set: POST /shots refuses every request")
        models, poll = open_shot_models(settings), settings.serving.poll_seconds
        self.watcher = shot_state_watcher(models, store, poll, on_swap=_on_swap, on_status=_on_status).start()
        self.request_log = shot_request_log(store).start()
        self.batcher = MicroBatcher(lambda: self.watcher.state, on_batch=batch_rows.observe)

    def stop(self) -> None:
        self.watcher.stop()
        self.request_log.close()

    def readiness(self) -> dict[str, dict[str, Any]]:
        # served_version, registry_champion, diverged, last_error: serving an older model than the
        # registry names (it cannot be loaded) is visible here, in shot_model_divergence and the log.
        status = self.watcher.status()
        shot = {"state": "serving" if self.watcher.state else "no model", "version": self.watcher.version, **status}
        if self.watcher.last_error:
            shot["error"] = self.watcher.last_error
        return {SHOT_MODEL: shot}

    @bentoml.api(route="/predict")
    async def predict(self, shots: ShotsInput, /) -> dict:
        """Make probability for one shot (object in, object out) or a list (list of predictions)."""
        batch = shots.root
        # Answered here, not raised: BentoML replaces the message of any 5xx it catches.
        if self.watcher.state is None:
            return JSONResponse({"error": NO_MODEL}, status_code=503)
        try:
            probabilities, version = await self.batcher.score(batch)
        except NoModelLoaded:
            return JSONResponse({"error": NO_MODEL}, status_code=503)
        self.request_log.record(batch, probabilities, version, uuid.uuid4().hex)
        predictions_total.labels(model_version=version).inc(len(batch))
        request_log_pending.set(self.request_log.pending)
        # The body is serialised here, in the documented shapes (schema.Prediction /
        # BatchPrediction): a pydantic object per shot, or BentoML validating a 1,000-item
        # dict on the way out, costs more than scoring the shot.
        if shots.single:
            body = {"make_probability": float(probabilities[0]), "model_version": version}
        else:
            predictions = [{"make_probability": p, "model_version": version} for p in probabilities.tolist()]
            body = {"model_version": version, "predictions": predictions}
        return JSONResponse(body, headers={VERSION_HEADER: version})

    @bentoml.api(route="/shots")
    def add_shots(self, shots: list[dict[str, Any]], /, ctx: bentoml.Context) -> dict:
        """Ingest labelled shots (Kaggle shot-logs rows) like `shot-platform ingest shots`.

        Needs the API key (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``).
        Bad rows go to the quarantine with their reason; good rows are kept.
        """
        if not authorized(self.api_key, ctx.request.headers):
            ctx.response.status_code = 401
            ctx.response.headers["WWW-Authenticate"] = "Bearer"
            return {"error": "missing or wrong API key: send 'Authorization: Bearer <SHOT_PLATFORM_API_KEY>'"}
        if not 1 <= len(shots) <= MAX_SHOTS_PER_REQUEST:
            ctx.response.status_code = 400
            return {"error": f"send between 1 and {MAX_SHOTS_PER_REQUEST} shots per request"}
        raw = pd.DataFrame(shots, index=range(len(shots))).astype(object)
        raw = raw.where(raw.isna(), raw.astype(str))  # as text, the way a CSV file arrives
        try:
            report = ingest_shot_frame(self.store, raw, source="api:/shots")
        except SQLAlchemyError as error:  # the store is down or refused the batch: nothing was half-stored
            log.warning("POST /shots: the store refused the batch: %s", str(error).splitlines()[0])
            ctx.response.status_code = 503
            return {"error": "the store is unavailable; nothing was stored, send the same body again later"}
        return {
            "inserted": report.inserted,
            "duplicates": report.duplicates,
            "quarantined": report.quarantined,
            "conflicts": report.conflicts,
            "quarantine_reasons": report.rejected,  # "line": the shot's position in the body, from 1
            "cleaned": report.cleaned,
        }
