"""Shot-distance zones: the unit in which shooting and defending records are kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

ZONES: tuple[str, ...] = ("rim", "paint", "mid", "three")

# League-wide make rates per zone, used only before any history exists
# (the first game date of a store); afterwards the stored league rate is used.
DEFAULT_ZONE_RATE: dict[str, float] = {"rim": 0.60, "paint": 0.40, "mid": 0.40, "three": 0.35}
DEFAULT_RATES = np.array([DEFAULT_ZONE_RATE[zone] for zone in ZONES])


def zone_index(shot_dist: np.ndarray, pts_type: np.ndarray) -> np.ndarray:
    """Index into ZONES of each shot, from the cleaned distance and the point value."""
    shot_dist = np.asarray(shot_dist, dtype=float)
    return np.select([np.asarray(pts_type) == 3, shot_dist < 4, shot_dist < 10], [3, 0, 1], default=2)


def shot_zone(shot_dist: pd.Series, pts_type: pd.Series) -> pd.Series:
    """Zone of each shot as a categorical Series (for grouping)."""
    codes = zone_index(shot_dist.to_numpy(dtype=float), pts_type.to_numpy())
    return pd.Series(pd.Categorical.from_codes(codes, categories=ZONES), index=shot_dist.index)
