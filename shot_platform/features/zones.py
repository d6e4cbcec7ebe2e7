"""Shot-distance zones: the unit in which shooting and defending records are kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

ZONES: tuple[str, ...] = ("rim", "paint", "mid", "three")

# League-wide make rates per zone, used only before any history exists
# (the first game date of a store); afterwards the stored league rate is used.
DEFAULT_ZONE_RATE: dict[str, float] = {"rim": 0.60, "paint": 0.40, "mid": 0.40, "three": 0.35}


def shot_zone(shot_dist: pd.Series, pts_type: pd.Series) -> pd.Series:
    """Zone of each shot from the cleaned distance and the shot's point value."""
    zone = np.select(
        [pts_type.to_numpy() == 3, shot_dist.to_numpy() < 4, shot_dist.to_numpy() < 10],
        ["three", "rim", "paint"],
        default="mid",
    )
    return pd.Series(pd.Categorical(zone, categories=ZONES), index=shot_dist.index)
