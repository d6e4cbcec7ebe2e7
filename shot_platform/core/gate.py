"""Champion/challenger gate: a new model serves only if it is at least as good.

Both models are scored on the same held-out games (the challenger's test
games), the idea of TFX's model "blessing". No fixed threshold: the bar is the
model currently serving, plus the base rate for a store with no champion yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from shot_platform.core.model_store import ModelNotFoundError, ModelStore
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.training import evaluate_on


@dataclass
class PromotionDecision:
    promote: bool
    reason: str
    challenger_log_loss: float
    champion_version: str | None = None
    champion_log_loss: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def decide_promotion(
    models: ModelStore, challenger: ShotModel, test_shots: pd.DataFrame, history: pd.DataFrame
) -> PromotionDecision:
    metrics = challenger.metadata["metrics"]
    challenger_loss = float(metrics["log_loss"])
    if challenger_loss >= metrics["base_rate_log_loss"]:
        return PromotionDecision(False, "not promoted: no better than predicting the base rate", challenger_loss)
    champion_version = models.champion_version()
    if champion_version is None:
        return PromotionDecision(True, "promoted: first model, beats the base rate", challenger_loss)
    try:
        champion = models.load(champion_version)
        champion_loss = float(evaluate_on(champion, test_shots, history)["log_loss"])
    except (ModelNotFoundError, ValueError) as error:
        return PromotionDecision(
            True, f"promoted: champion {champion_version} unusable ({error})", challenger_loss, champion_version
        )
    promote = challenger_loss <= champion_loss
    verdict = "promoted" if promote else "not promoted"
    reason = (
        f"{verdict}: log loss {challenger_loss:.4f} vs champion {champion_version} "
        f"{champion_loss:.4f} on the same test games"
    )
    return PromotionDecision(promote, reason, challenger_loss, champion_version, champion_loss)
