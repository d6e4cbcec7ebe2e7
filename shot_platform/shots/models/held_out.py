"""The shots' held-out selector for the gate: the challenger's test games after both training windows.

Each model records ``train_dates`` = [first, last] in its metadata (the last is the end of its
selection games, which it was refit on). The games neither model trained on are the challenger's
test games dated after the later of the two ends.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shot_platform.core.gate import Evaluate, HeldOut
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.training import evaluate_on


def training_end(metadata: dict[str, Any]) -> str | None:
    """The last date a model was trained on (``train_dates[1]``), None when not recorded."""
    dates = metadata.get("train_dates")
    if isinstance(dates, list | tuple) and len(dates) == 2 and isinstance(dates[1], str) and dates[1]:
        return dates[1]
    return None


def games_after_both_windows(champion: dict[str, Any], challenger: dict[str, Any]) -> HeldOut | None:
    """The gate's ``HeldOutSelector``: test games after both models' last training date (the key)."""
    champion_end = training_end(champion)
    if champion_end is None:
        return None
    after = max(champion_end, training_end(challenger) or champion_end)
    description = (
        f"the challenger's test games after {after} (after both training windows; "
        f"the champion trained through {champion_end})"
    )
    return HeldOut(after, description)


def held_out_evaluator(test_shots: pd.DataFrame, history: pd.DataFrame) -> Evaluate:
    """The gate's ``evaluate(model, held_out)``: log loss and rows on the test shots after the key's date."""

    def evaluate(model: ShotModel, held_out: HeldOut) -> tuple[float, int]:
        later = test_shots[pd.to_datetime(test_shots["game_date"]) > pd.Timestamp(held_out.key)]
        if later.empty:
            return float("nan"), 0
        return float(evaluate_on(model, later, history)["log_loss"]), len(later)

    return evaluate


__all__ = ["games_after_both_windows", "held_out_evaluator", "training_end"]
