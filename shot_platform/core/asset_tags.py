"""Asset tags that shared code reads, so that it finds a domain's assets without naming them.

``PREDICTION_CACHE``: the asset keeps a prediction cache and its run config takes ``full_refeed``
(``shot-platform materialize --full-refeed`` sets it on every asset so tagged in the selection).
"""

from __future__ import annotations

PREDICTION_CACHE_KEY = "shot_platform/prediction_cache"
PREDICTION_CACHE = {PREDICTION_CACHE_KEY: "full_refeed"}
