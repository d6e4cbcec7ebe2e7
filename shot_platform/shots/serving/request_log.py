"""The shot service's request-log rows (table ``prediction_requests``) for the domain-free writer."""

from __future__ import annotations

from shot_platform.core.serving.request_log import LoggedRequest, RequestLogWriter
from shot_platform.shots.store import ShotStore


def shot_request_rows(request: LoggedRequest) -> list[dict]:
    """One row per scored shot: inputs, probability, version, time and the optional shot key."""
    return [
        {
            "request_id": request.request_id,
            "requested_at": request.requested_at,
            "model_version": request.model_version,
            "make_probability": float(probability),
            "game_id": shot.GAME_ID,
            "player_id": shot.player_id,
            "shot_number": shot.SHOT_NUMBER,
            "closest_defender_player_id": shot.CLOSEST_DEFENDER_PLAYER_ID,
            "inputs": shot.model_dump_json(),
        }
        for shot, probability in zip(request.items, request.probabilities, strict=True)
    ]


def shot_request_log(store: ShotStore, **options) -> RequestLogWriter:
    """The writer of the shot service's request log into ``store``."""
    return RequestLogWriter(store.insert_request_log, shot_request_rows, **options)
