"""The BentoML service: ``POST /predict`` with the current champion shot model, and the
free-throw domain's score_beater (TF Serving's REST API under ``/v1``, ``/score_beater/predict``).

Run it with ``shot-platform serve`` or ``bentoml serve`` from ``bento/``.
``/livez`` and ``/metrics`` (Prometheus) come from BentoML; ``/readyz`` reports each model's
state and is ready once a model is loaded (:mod:`shot_platform.core.serving.readiness`).
Each domain's endpoints live in its own class, composed here (``ScoreBeaterEndpoints``).
The shot model's entry names the served version, the registry's champion and the last error.
"""

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
from shot_platform.core.serving.http import (
    BodySizeLimit,
    CaseInsensitivePrefix,
    JsonClientErrors,
    log_client_errors_at_info,
)
from shot_platform.core.serving.readiness import ReadinessReport
from shot_platform.core.serving.tf_app import tf_serving_app
from shot_platform.core.settings import Settings
from shot_platform.free_throws.serving.endpoints import ScoreBeaterEndpoints
from shot_platform.shots.ingest.shots import ingest_shot_frame
from shot_platform.shots.models.registry import open_shot_models
from shot_platform.shots.serving.request_log import shot_request_log
from shot_platform.shots.serving.schema import MAX_SHOTS_PER_REQUEST, ShotsInput
from shot_platform.shots.serving.state import shot_state_watcher
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


@bentoml.service(name="shot_platform", http={"port": 5000}, traffic={"timeout": 30}, workers=1)
@bentoml.asgi_app(tf_serving_app(lambda: bentoml.get_current_service().saved_models), path="/v1")
class ShotService(ScoreBeaterEndpoints):
    """Scores shots with the champion; switches champions without a restart."""

    def __init__(self) -> None:
        settings = Settings.from_env()
        store = ShotStore(settings.database_url)
        try:
            store.create_schema()
        except Exception as error:
            log.warning("store not reachable at start-up: %s", error)
        models = open_shot_models(settings)
        self.store, self.api_key = store, settings.api_key
        logging.getLogger("shot_platform").setLevel(logging.INFO)  # BentoML's root logger shows WARNING only
        log_client_errors_at_info()
        if not self.api_key:
            log.warning("SHOT_PLATFORM_API_KEY is not set: POST /shots refuses every request")
        poll = settings.serving.poll_seconds
        self.watcher = shot_state_watcher(models, store, poll, on_swap=_on_swap, on_status=_on_status).start()
        self.request_log = shot_request_log(store).start()
        self.batcher = MicroBatcher(lambda: self.watcher.state, on_batch=batch_rows.observe)
        self.start_score_beater(settings, poll)

    def readiness(self) -> tuple[bool, dict]:
        """Ready once any model is being served; the report gives every model's state."""
        # served_version, registry_champion, diverged, last_error: serving an older model than the
        # registry names (it cannot be loaded) is visible here, in shot_model_divergence and the log.
        status = self.watcher.status()
        shot = {"state": "serving" if self.watcher.state else "no model", "version": self.watcher.version, **status}
        if self.watcher.last_error:
            shot["error"] = self.watcher.last_error
        models = {"shot_model": shot, "score_beater": self.score_beater.readiness()}
        return any(model["state"] == "serving" for model in models.values()), models

    def __is_ready__(self) -> bool:
        return self.readiness()[0]

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

    @bentoml.on_shutdown
    def _flush_request_log(self) -> None:
        self.watcher.stop()
        self.stop_score_beater()
        self.request_log.close()


_limits = Settings.from_env().serving
ShotService.add_asgi_middleware(
    BodySizeLimit,
    max_bytes=_limits.max_body_bytes,
    max_inflight_bytes=_limits.max_inflight_bytes,
    inflate_under=("/v1/",),  # TF Serving inflates gzip bodies; the limit counts the inflated bytes
)
ShotService.add_asgi_middleware(CaseInsensitivePrefix, prefix="/v1/")  # TF Serving's paths are case-insensitive
ShotService.add_asgi_middleware(JsonClientErrors, any_media_under=("/v1/",))
ShotService.add_asgi_middleware(ReadinessReport, readiness=lambda: bentoml.get_current_service().readiness())
