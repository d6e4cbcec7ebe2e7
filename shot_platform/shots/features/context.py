"""Shot-context features: what the tracking data says about the shot itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from shot_platform.shots.features.zones import ZONES, zone_index

# Filled in for a missing SHOT_CLOCK (median of the real file), with an indicator.
SHOT_CLOCK_FILL = 12.3


def context_features(shots: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Numeric features from cleaned shot context (see ``ingest.cleaning``).

    Works on numpy arrays: as cheap for one shot in the HTTP service as per
    shot for a season.
    """
    dist = np.asarray(shots["SHOT_DIST"], dtype=float)
    defender = np.asarray(shots["CLOSE_DEF_DIST"], dtype=float)
    raw_clock = np.asarray(shots["SHOT_CLOCK"], dtype=float)
    clock = np.where(np.isnan(raw_clock), SHOT_CLOCK_FILL, raw_clock)
    pts_type = np.asarray(shots["PTS_TYPE"], dtype=np.int64)
    period = np.asarray(shots["PERIOD"], dtype=float)
    zone = zone_index(dist, pts_type)
    out = {
        "shot_dist": dist,
        "close_def_dist": defender,
        "log_close_def_dist": np.log1p(np.minimum(defender, 30.0)),
        "def_dist_per_shot_dist": defender / (dist + 1.0),
        "shot_clock": clock,
        "shot_clock_missing": np.isnan(raw_clock).astype(float),
        "shot_clock_late": (clock < 4).astype(float),
        "dribbles": np.asarray(shots["DRIBBLES"], dtype=float),
        "touch_time": np.asarray(shots["TOUCH_TIME"], dtype=float),
        "period": period,
        "overtime": (period > 4).astype(float),
        "game_clock_s": np.asarray(shots["game_clock_s"], dtype=float),
        "is_home": (np.asarray(shots["LOCATION"]) == "H").astype(float),
        "is_three": (pts_type == 3).astype(float),
    }
    for index, name in enumerate(ZONES):
        out[f"zone_{name}"] = (zone == index).astype(float)
    return out
