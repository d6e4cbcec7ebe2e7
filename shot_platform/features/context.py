"""Shot-context features: what the tracking data says about the shot itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.features.zones import ZONES, shot_zone

# Filled in for a missing SHOT_CLOCK (median of the real file), with an indicator.
SHOT_CLOCK_FILL = 12.3


def context_features(shots: pd.DataFrame) -> pd.DataFrame:
    """Numeric features from cleaned shot context (see ``ingest.cleaning``)."""
    dist = shots["SHOT_DIST"].astype(float)
    defender = shots["CLOSE_DEF_DIST"].astype(float)
    shot_clock = shots["SHOT_CLOCK"].astype(float)
    zone = shot_zone(dist, shots["PTS_TYPE"].astype(int))
    period = shots["PERIOD"].astype(int)
    out = pd.DataFrame(
        {
            "shot_dist": dist,
            "close_def_dist": defender,
            "log_close_def_dist": np.log1p(defender.clip(upper=30)),
            "def_dist_per_shot_dist": defender / (dist + 1.0),
            "shot_clock": shot_clock.fillna(SHOT_CLOCK_FILL),
            "shot_clock_missing": shot_clock.isna().astype(float),
            "shot_clock_late": (shot_clock.fillna(SHOT_CLOCK_FILL) < 4).astype(float),
            "dribbles": shots["DRIBBLES"].astype(float),
            "touch_time": shots["TOUCH_TIME"].astype(float),
            "period": period.astype(float),
            "overtime": (period > 4).astype(float),
            "game_clock_s": shots["game_clock_s"].astype(float),
            "is_home": (shots["LOCATION"] == "H").astype(float),
            "is_three": (shots["PTS_TYPE"].astype(int) == 3).astype(float),
        },
        index=shots.index,
    )
    for name in ZONES:
        out[f"zone_{name}"] = (zone == name).astype(float)
    return out
