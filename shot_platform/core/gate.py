"""Champion/challenger gate: a new model serves only if it is strictly better.

Both models are scored on the same held-out games, the idea of TFX's model
"blessing": the challenger's test games that come *after both models'
training windows* (each model records ``train_dates`` = [first, last] in its
metadata). A champion scored on games it was trained on would look better than
it is, and an overfit champion could never be replaced. No fixed threshold:
the bar is the model currently serving, plus the base rate for a store with no
usable champion.

The rules, in order:

1. a challenger no better than the base rate is never promoted;
2. no usable champion (none yet, a damaged pointer, an artifact that fails its
   checksum or does not load): promoted;
3. a champion that records no training dates cannot be judged on games it has
   not seen: the challenger is promoted (it beats the base rate, and the
   champion's own figures cannot be trusted either);
4. no challenger test game after both training windows: **not promoted**, and
   the reason says so. This happens when a challenger is trained on no newer
   games than the champion; retraining after new games arrive, or
   ``shot-platform models promote``, decides it. Promoting by default would let
   any retrain on old data replace a champion unexamined;
5. otherwise promoted when its log loss on those games is strictly lower than
   the champion's: a tie keeps the champion (an identical retrain must not move
   the pointer, the registry's labels or the cached predictions).

The domain passes ``evaluate(model, after)``: the model's log loss and the row
count on the challenger's test games later than ``after`` (an ISO date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from shot_platform.core.model_store import ModelStore, RegistryError, StoredModel

# (log loss, rows) of a model on the challenger's test games later than a date.
Evaluate = Callable[[Any, str], tuple[float, int]]


@dataclass
class PromotionDecision:
    promote: bool
    reason: str
    challenger_log_loss: float
    champion_version: str | None = None
    champion_log_loss: float | None = None
    judged_after: str | None = None  # both models were judged on test games after this date
    judged_rows: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def training_end(metadata: dict) -> str | None:
    """The last date a model was trained on (``train_dates[1]``), None when not recorded."""
    dates = metadata.get("train_dates")
    if isinstance(dates, list | tuple) and len(dates) == 2 and isinstance(dates[1], str) and dates[1]:
        return dates[1]
    return None


def decide_promotion(models: ModelStore, challenger: StoredModel, evaluate: Evaluate) -> PromotionDecision:
    metrics = challenger.metadata["metrics"]
    challenger_loss = float(metrics["log_loss"])
    if challenger_loss >= metrics["base_rate_log_loss"]:
        return PromotionDecision(False, "not promoted: no better than predicting the base rate", challenger_loss)
    pointer = models.champion_pointer()
    if pointer.version is None:
        why = f"no usable champion ({pointer.problem})" if pointer.damaged else "first model"
        return PromotionDecision(True, f"promoted: {why}, beats the base rate", challenger_loss)
    version = pointer.version
    try:
        champion = models.load(version)
    except RegistryError as error:
        return PromotionDecision(True, f"promoted: champion {version} unusable ({error})", challenger_loss, version)
    champion_end = training_end(champion.metadata)
    if champion_end is None:
        reason = (
            f"promoted: champion {version} records no training dates, so no game can be shown unseen by it; "
            "judged against the base rate only"
        )
        return PromotionDecision(True, reason, challenger_loss, version)
    after = max(champion_end, training_end(challenger.metadata) or champion_end)
    challenger_loss, rows = evaluate(challenger, after)
    if rows == 0:
        reason = (
            f"not promoted: none of the challenger's test games is after both training windows (champion {version} "
            f"trained through {champion_end}); retrain once later games arrive, or `shot-platform models promote`"
        )
        return PromotionDecision(False, reason, challenger_loss, version, None, after, 0)
    try:
        champion_loss, _ = evaluate(champion, after)
    except ValueError as error:  # e.g. built for another feature set
        reason = f"promoted: champion {version} cannot score these games ({error})"
        return PromotionDecision(True, reason, challenger_loss, version, None, after, rows)
    promote = challenger_loss < champion_loss
    verdict = (
        "promoted"
        if promote
        else ("not promoted (a tie keeps the champion)" if challenger_loss == champion_loss else "not promoted")
    )
    reason = (
        f"{verdict}: log loss {challenger_loss:.4f} vs champion {version} {champion_loss:.4f} "
        f"on the same {rows:,} test rows after {after} (after both training windows)"
    )
    return PromotionDecision(promote, reason, challenger_loss, version, champion_loss, after, rows)
