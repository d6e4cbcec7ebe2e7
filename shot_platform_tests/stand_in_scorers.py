"""A counting stand-in for the score_beater SavedModel, for flow tests that need no TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


class CountingStandIn:
    """Counts its calls and rows, as the platform's scorers do (the flow shows them)."""

    version = "1"

    def __init__(self) -> None:
        self.calls = 0
        self.rows = 0

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        self.rows += len(inputs)
        return self.probabilities(inputs)

    def probabilities(self, inputs: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError


class LinearScorer(CountingStandIn):
    """A fixed logistic function of made, last_made and the season share."""

    def probabilities(self, inputs: pd.DataFrame) -> np.ndarray:
        made, last_made, share = (inputs[name].to_numpy(np.float64) for name in ("made", "last_made", "season_share"))
        return 1 / (1 + np.exp(-(made - last_made * share) / 10))


class PaceScorer(CountingStandIn):
    """Beats last season when the made free throws so far, plus last season's pace over the rest of
    this season's schedule, project above last season's total."""

    def probabilities(self, inputs: pd.DataFrame) -> np.ndarray:
        share = inputs["season_share"].to_numpy()
        pace = inputs["last_made"].to_numpy() * inputs["scheduled_games"].to_numpy()
        projection = inputs["made"].to_numpy() + (1 - share) * pace / inputs["last_scheduled_games"].to_numpy()
        return 1 / (1 + np.exp(-4 * (projection / (inputs["last_made"].to_numpy() + 1) - 1)))


def stand_in_load_check(directory: Path) -> str | None:
    """Promotion's load check for stand-in exports whose scorer the test injects (their bytes are never
    loaded by TensorFlow): the check still refuses a copy without its graph file."""
    return None if (directory / "saved_model.pb").is_file() else "saved_model.pb is missing"
