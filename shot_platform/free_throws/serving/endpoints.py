"""The free-throw domain's unit on the platform's one BentoML service (:mod:`shot_platform.core.serving.unit`).

- TF Serving's REST API for ``score_beater`` (``/v1/models/score_beater...``), with the inputs
  checked by the rules of ``free_throws/inputs.py`` (:mod:`.validation`).
- ``POST /score_beater/predict`` with player names: each player's current inputs come from the
  store, through the interface :class:`PlayerInputSource`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Protocol

import anyio.to_thread
import bentoml
import numpy as np
import pandas as pd
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.core.serving.http import CaseInsensitivePrefix, JsonClientErrors
from shot_platform.core.serving.saved_model_server import SavedModelServer
from shot_platform.core.serving.tf_app import ServedSavedModel, tf_serving_app
from shot_platform.core.serving.tf_runtime import DEFAULT_SIGNATURE
from shot_platform.core.serving.unit import Middleware, Mount, UnitBase, current_unit
from shot_platform.core.settings import Settings
from shot_platform.free_throws.serving.champion import MODEL_NAME, SavedModelScorer
from shot_platform.free_throws.serving.validation import input_problem

MAX_PLAYERS = 1_000
divergence = bentoml.metrics.Gauge(
    name="score_beater_model_divergence",
    documentation="1 while the served score_beater is not the registry's usable champion (see /readyz for why)",
)
PlayerName = Annotated[str, Field(min_length=1, max_length=100)]
log = logging.getLogger("shot_platform.serving")


class PlayerInputSource(Protocol):
    """Where ``POST /score_beater/predict`` reads each player's current model inputs.

    ``current_player_inputs(players)`` returns one row per *known* player (unknown names are
    simply absent): ``player``, ``season`` (as in the data, e.g. ``"2014 - 2015"``),
    ``games_played`` (league games final when the snapshot was taken; 0 = preseason) and one
    column per model input (``inputs.INPUT_NAMES``), the latest point-in-time snapshot.
    """

    def current_player_inputs(self, players: Sequence[str]) -> pd.DataFrame: ...


def open_player_inputs(settings: Settings) -> PlayerInputSource | None:
    """The free-throw store's current features (its tables are created if missing); None in a
    build without the free-throw store."""
    try:
        from shot_platform.free_throws.serving.players import StorePlayerInputs
        from shot_platform.free_throws.store import FreeThrowStore
    except ImportError as error:
        log.warning("POST /score_beater/predict is unavailable: %s", error)
        return None

    store = FreeThrowStore(settings.database_url)
    try:
        store.create_schema()
    except Exception as error:
        log.warning("free-throw store not reachable at start-up: %s", error)
    return StorePlayerInputs(store)


class ScoreBeaterUnit(UnitBase):
    """score_beater on the service: TF Serving's REST API at ``/v1`` and ``/score_beater/predict``."""

    score_beater: SavedModelServer
    player_inputs: PlayerInputSource | None
    saved_models: dict[str, ServedSavedModel]

    @classmethod
    def mounts(cls) -> list[Mount]:
        # TF Serving inflates gzip bodies; the service's body limit counts the inflated bytes.
        return [Mount(tf_serving_app(lambda: current_unit(cls).saved_models), "/v1", inflate_gzip=True)]

    @classmethod
    def middlewares(cls) -> list[Middleware]:
        return [
            Middleware(CaseInsensitivePrefix, prefix="/v1/"),  # TF Serving's paths are case-insensitive
            Middleware(JsonClientErrors, any_media_under=("/v1/",)),
        ]

    def start(self, settings: Settings) -> None:
        """Serve the champion and its canary (if any; TensorFlow is imported only then) and follow
        promotions; ``/score_beater/predict`` always scores with the champion."""
        store = open_saved_model_store(settings.model_store, settings.s3_endpoint_url, MODEL_NAME)
        on_status = lambda status: divergence.set(1 if status["diverged"] else 0)  # noqa: E731
        self.score_beater = SavedModelServer(store, settings.serving.poll_seconds, on_status=on_status).start()
        self.player_inputs = open_player_inputs(settings)
        self.saved_models = {MODEL_NAME: ServedSavedModel(self.score_beater, input_problem)}

    def stop(self) -> None:
        self.score_beater.stop()

    def readiness(self) -> dict[str, dict]:
        return {MODEL_NAME: self.score_beater.readiness()}

    @bentoml.api(route="/score_beater/predict")
    async def score_beater_predict(
        self, players: PlayerName | Annotated[list[PlayerName], Field(min_length=1, max_length=MAX_PLAYERS)]
    ) -> dict:
        """Probability that each player makes more regular-season free throws than last season.

        ``{"players": "Name"}`` answers one object (404 when the player is unknown);
        ``{"players": ["A", "B"]}`` answers ``{"model_version", "predictions": [...]}`` with an
        ``error`` entry for each unknown player.
        """
        model = self.score_beater.model
        if model is None:
            return JSONResponse(
                {
                    "error": "no score_beater model is loaded: train one (shot-platform materialize --select "
                    "group:free_throws) or promote one (shot-platform models promote --model score_beater N)"
                },
                status_code=503,
            )
        if self.player_inputs is None:
            return JSONResponse({"error": "this build has no free-throw store to read players from"}, status_code=503)
        names = [players] if isinstance(players, str) else list(players)
        source = self.player_inputs

        def lookup_and_score() -> tuple[pd.DataFrame, np.ndarray]:
            # The store query and the model call, off the event loop (see core/serving/tf_app.py).
            found = source.current_player_inputs(names)
            return found, SavedModelScorer(model).predict(found)

        try:
            found, probabilities = await anyio.to_thread.run_sync(lookup_and_score)
        except SQLAlchemyError as error:
            log.error("score_beater/predict: store unreachable: %s", error)
            return JSONResponse({"error": "the free-throw store is unreachable; retry shortly"}, status_code=503)
        except (LookupError, ValueError) as error:  # the model and the stored features disagree
            log.error("score_beater/predict: %s", error)
            return JSONResponse({"error": str(error)}, status_code=500)
        version = str(model.version)
        feature_names = list(model.signatures[DEFAULT_SIGNATURE].inputs)
        by_player = {}
        for row, probability in zip(found.to_dict("records"), probabilities.tolist(), strict=True):
            by_player[row["player"]] = {
                "player": row["player"],
                "season": row["season"],
                "games_played": int(row["games_played"]),
                "probability": probability,
                "features": {name: float(row[name]) for name in feature_names},
                "model_version": version,
            }
        unknown = "no free-throw record of {!r} in the previous regular season: check the spelling (as in the data)"
        entries = [by_player.get(name) or {"player": name, "error": unknown.format(name)} for name in names]
        headers = {"X-Model-Version": version}
        if isinstance(players, str):
            status = 200 if "error" not in entries[0] else 404
            return JSONResponse(entries[0], status_code=status, headers=headers)
        return JSONResponse({"model_version": version, "predictions": entries}, headers=headers)
