"""Time split by game date: train on earlier games, select on later, report on the latest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TimeSplit:
    """Boolean masks over a frame's rows, plus the date ranges they cover."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    dates: dict[str, tuple[str, str]]


def time_split(game_date: pd.Series, valid_fraction: float = 0.15, test_fraction: float = 0.2) -> TimeSplit:
    """Split whole game dates, never rows: no date appears in two parts.

    Needs at least three distinct dates. Fractions are of distinct dates.
    """
    dates = np.sort(pd.to_datetime(game_date).dt.normalize().unique())
    if len(dates) < 3:
        raise ValueError(
            f"need rows from at least 3 game dates to train and evaluate, found {len(dates)}; ingest more games"
        )
    n_test = max(1, round(len(dates) * test_fraction))
    n_valid = max(1, round(len(dates) * valid_fraction))
    n_train = max(1, len(dates) - n_test - n_valid)
    valid_start, test_start = dates[n_train], dates[min(len(dates) - 1, n_train + n_valid)]
    day = pd.to_datetime(game_date).dt.normalize().to_numpy()
    masks = {
        "train": day < valid_start,
        "valid": (day >= valid_start) & (day < test_start),
        "test": day >= test_start,
    }
    ranges = {
        name: (str(pd.Timestamp(day[mask].min()).date()), str(pd.Timestamp(day[mask].max()).date()))
        for name, mask in masks.items()
    }
    return TimeSplit(dates=ranges, **masks)
