"""The Scores API: a client for a provider of game results, and a replay server that stands in for one.

- ``client.ScoresApiClient``: seasons, schedules, final games after a given game, box scores + plays;
  retries and backoff through urllib3's ``Retry``; typed errors (``errors.py``).
- ``payloads.py``: the API's JSON shapes and their rules, declared once.
- ``server.create_app`` / ``dataset.load_dataset``: the replay server (``shot-platform scores-api serve``).
- ``process.replay_server``: that server as a subprocess on a free loopback port.
- ``resource.py``: Dagster resources (live provider, replay).
"""

from shot_platform.free_throws.scores_api import errors
from shot_platform.free_throws.scores_api.client import KEY_ENV, URL_ENV, ReplayClient, ScoresApiClient
from shot_platform.free_throws.scores_api.errors import *  # noqa: F403  (every error type, as errors.__all__ lists)
from shot_platform.free_throws.scores_api.payloads import PLAY_COLUMNS, BoxScore, Game, PlayerFreeThrows, Season

__all__ = [
    "KEY_ENV",
    "PLAY_COLUMNS",
    "URL_ENV",
    "BoxScore",
    "Game",
    "PlayerFreeThrows",
    "ReplayClient",
    "ScoresApiClient",
    "Season",
    *errors.__all__,
]
