"""A counting stand-in for the score_beater SavedModel, for flow tests that need no TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


class LinearScorer:
    """A fixed logistic function of made, last_made and the season share; counts its calls and rows."""

    version = "1"

    def __init__(self) -> None:
        self.calls = 0
        self.rows = 0

    def predict(self, inputs: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        self.rows += len(inputs)
        made, last_made, share = (inputs[name].to_numpy(np.float64) for name in ("made", "last_made", "season_share"))
        return 1 / (1 + np.exp(-(made - last_made * share) / 10))


def stand_in_load_check(directory: Path) -> str | None:
    """Promotion's load check for stand-in exports whose scorer the test injects (their bytes are never
    loaded by TensorFlow): the check still refuses a copy without its graph file."""
    return None if (directory / "saved_model.pb").is_file() else "saved_model.pb is missing"
