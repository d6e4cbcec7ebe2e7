"""The score_beater label: does a player make more regular-season free throws in season s than in s-1?

One row per player with at least one regular-season attempt in s-1, for every season s whose
predecessor is in the data. A player absent from season s made 0 and did not beat (strictly
more is needed, so 0 never beats). Measured beat rates (3,116 player-seasons): 32-37%
after a full season into a full one (2007-08..2010-11), 22.9% into the 66-game 2011-12, 46.5% in
2012-13 (after the short season) and 41.3% in 2013-14. About 1 in 5 players of a season has no
attempt the next season.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.free_throws.counts import MADE
from shot_platform.free_throws.schema import PLAYER, SEASON

BEAT = "beat"
LAST_MADE = "last_made"


def beat_labels(totals: pd.DataFrame) -> pd.DataFrame:
    """season, player, last_made, made, beat (0/1) from ``counts.season_totals``.

    ``season`` is the season being predicted; the first season of the data gets no labels, nor
    does the season after the last one (it is not in the data: absent is not the same as 0).
    """
    seasons = np.sort(totals[SEASON].unique())
    last = totals.loc[totals[SEASON] < seasons.max(), [SEASON, PLAYER, MADE]].rename(columns={MADE: LAST_MADE})
    last[SEASON] = last[SEASON] + 1
    last = last[last[SEASON].isin(seasons)]
    labels = last.merge(totals[[SEASON, PLAYER, MADE]], on=[SEASON, PLAYER], how="left", validate="one_to_one")
    labels[MADE] = labels[MADE].fillna(0).astype(np.int64)
    labels[BEAT] = (labels[MADE] > labels[LAST_MADE]).astype(np.int64)
    return labels.sort_values([SEASON, PLAYER], ignore_index=True)


def attach_labels(snapshots: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Snapshots (season, player, ...) with the ``beat`` column; every snapshot must have a label."""
    joined = snapshots.merge(labels[[SEASON, PLAYER, BEAT]], on=[SEASON, PLAYER], how="left", validate="many_to_one")
    if joined[BEAT].isna().any():
        raise ValueError("snapshots without a label: their season's successor is not in the data")
    joined[BEAT] = joined[BEAT].astype(np.int64)
    return joined


__all__ = ["BEAT", "LAST_MADE", "attach_labels", "beat_labels"]
