"""The champion/challenger gate: the one promotion rule of the platform, written once.

**A challenger replaces the champion only when its log loss on the same unseen games is strictly
lower; a tie keeps the champion.** "Unseen" means games neither model trained on (the idea of
TFX's model "blessing"): a champion scored on games it was trained on would look better than it is,
and an overfit champion could never be replaced. No fixed threshold: the bar is the model currently
serving, plus the base rate for a store with no usable champion. A challenger that is not promoted
is still stored, with this decision (both scores and the held-out set) in its metadata.

Each domain supplies only what is its own: the held-out selector (``HeldOutSelector``: for instance
the games after both models' training dates, or a complete season neither trained on) and the
scoring of a model on those games. The rules, in order (:func:`judge`):

1. a challenger no better than the base rate is never promoted;
2. no usable champion (none yet, a damaged pointer, an artifact that fails its checksum or does not
   load): promoted;
3. a champion that records no training window cannot be judged on games it has not seen: the
   challenger is promoted (it beats the base rate, and the champion's own figures cannot be trusted);
4. no held-out game unseen by both models: **not promoted**, and the reason says so (promoting by
   default would let any retrain on old data replace a champion unexamined; retraining once newer
   games arrive, or ``shot-platform models promote``, decides it);
5. a champion that cannot score the held-out games (built for another feature set): promoted;
6. otherwise promoted only when the challenger's log loss is strictly lower than the champion's on
   the same held-out games: a tie keeps the champion (an identical retrain must not move the
   pointer, the registry's labels or the cached predictions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shot_platform.core.model_store import ModelStore, RegistryError, StoredModel

TIE = "not promoted (a tie keeps the champion)"


@dataclass(frozen=True)
class HeldOut:
    """The games both models are judged on, as the domain's selector chose them.

    ``key`` identifies the set in the domain's terms (the date both training windows end, or the
    judged season); ``description`` says it in a sentence's words; ``rows`` is
    filled in by the scoring (0: no game unseen by both models)."""

    key: str
    description: str
    rows: int = 0


@dataclass(frozen=True)
class GateDecision:
    """What the gate decided, with both scores on the same held-out games."""

    promoted: bool
    reason: str
    challenger_log_loss: float
    champion_version: str | None = None
    champion_log_loss: float | None = None
    held_out: HeldOut | None = None

    def as_metadata(self) -> dict[str, Any]:
        """The decision as a registry version records it (``promotion`` in its metadata)."""
        return {
            "promoted": self.promoted,
            "reason": self.reason,
            "challenger_log_loss": self.challenger_log_loss,
            "champion": self.champion_version,
            "champion_log_loss": self.champion_log_loss,
            "held_out": self.held_out.key if self.held_out else None,
            "held_out_description": self.held_out.description if self.held_out else None,
            "held_out_rows": self.held_out.rows if self.held_out else None,
        }


class HeldOutSelector(Protocol):
    """The domain's choice of held-out games from the two models' registry metadata: None when the
    champion records no training window (so no game can be shown unseen by it)."""

    def __call__(self, champion: dict[str, Any], challenger: dict[str, Any]) -> HeldOut | None: ...


# (log loss, rows) of a model on the held-out games; ValueError when the model cannot score them.
Evaluate = Callable[[Any, HeldOut], tuple[float, int]]


def judge(
    test_log_loss: float,
    base_rate_log_loss: float,
    champion_version: str | None,
    held_out: HeldOut | None = None,
    challenger_log_loss: float | None = None,
    champion_log_loss: float | None = None,
) -> GateDecision:
    """The rule, once: rules 1, 2, 4, 5 and 6 of the module's list.

    ``test_log_loss`` and ``base_rate_log_loss``: the challenger's and the base rate's on the
    challenger's test games (rule 1). ``champion_version`` None: no usable champion.
    ``challenger_log_loss`` and ``champion_log_loss``: both models on ``held_out`` (the challenger's
    defaults to ``test_log_loss`` when its test games are the held-out ones); the champion's None
    when it could not score them. ``held_out.rows`` 0: no game is unseen by both models."""
    loss = test_log_loss if challenger_log_loss is None else challenger_log_loss
    if not test_log_loss < base_rate_log_loss:
        reason = f"not promoted: log loss {test_log_loss:.4f} no better than the base rate's {base_rate_log_loss:.4f}"
        return GateDecision(False, reason, loss, held_out=held_out)
    if champion_version is None:
        return GateDecision(True, "promoted: first model, beats the base rate", loss, held_out=held_out)
    if held_out is None or held_out.rows == 0:
        where = held_out.description if held_out else "no held-out games"
        reason = (
            f"not promoted: no game unseen by both models to judge them on ({where}); "
            "retrain once later games arrive, or `shot-platform models promote`"
        )
        return GateDecision(False, reason, loss, champion_version, None, held_out)
    if champion_log_loss is None:
        reason = f"promoted: champion {champion_version} cannot score the held-out games ({held_out.description})"
        return GateDecision(True, reason, loss, champion_version, None, held_out)
    promoted = loss < champion_log_loss
    verdict = "promoted" if promoted else TIE if loss == champion_log_loss else "not promoted"
    reason = (
        f"{verdict}: log loss {loss:.4f} vs champion {champion_version} {champion_log_loss:.4f} "
        f"on the same {held_out.rows:,} unseen rows, {held_out.description}"
    )
    return GateDecision(promoted, reason, loss, champion_version, champion_log_loss, held_out)


def decide_promotion(
    models: ModelStore, challenger: StoredModel, select: HeldOutSelector, evaluate: Evaluate
) -> GateDecision:
    """The gate for a challenger and the registry's champion, both loadable here: finds the usable
    champion (rules 2 and 3), lets the domain select the held-out games and score both models on
    them, then applies :func:`judge`."""
    metrics = challenger.metadata["metrics"]
    test_loss, base_loss = float(metrics["log_loss"]), float(metrics["base_rate_log_loss"])
    pointer = models.champion_pointer()
    if not test_loss < base_loss or (pointer.version is None and not pointer.damaged):
        return judge(test_loss, base_loss, None)
    if pointer.version is None:
        return GateDecision(True, f"promoted: no usable champion ({pointer.problem}), beats the base rate", test_loss)
    version = pointer.version
    try:
        champion = models.load(version)
    except RegistryError as error:
        return GateDecision(True, f"promoted: champion {version} unusable ({error})", test_loss, version)
    selected = select(champion.metadata, challenger.metadata)
    if selected is None:
        reason = (
            f"promoted: champion {version} records no training window, so no game can be shown unseen by it; "
            "judged against the base rate only"
        )
        return GateDecision(True, reason, test_loss, version)
    challenger_loss, rows = evaluate(challenger, selected)
    held_out = HeldOut(selected.key, selected.description, rows)
    if rows == 0:
        return judge(test_loss, base_loss, version, held_out)
    try:
        champion_loss: float | None = evaluate(champion, held_out)[0]
    except ValueError:  # e.g. built for another feature set
        champion_loss = None
    return judge(test_loss, base_loss, version, held_out, challenger_loss, champion_loss)


__all__ = ["TIE", "Evaluate", "GateDecision", "HeldOut", "HeldOutSelector", "decide_promotion", "judge"]
