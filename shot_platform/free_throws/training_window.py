"""Which seasons a score_beater version saw before it served: live figures count only the seasons after.

A version's registry metadata records its ``train_seasons`` (the latest of them also chooses its
epochs when there are several) and its ``test_seasons`` (the season it was judged and promoted on,
``flow.retrain``). Predictions for any of those seasons are in-sample: the flow's batch assets
predict every stored season with the champion, so without this split a version's "live" log loss
pooled the seasons it was fitted to (issue 15: 0.349 "live" against a test log loss of 0.3902).
Only a season after the last of them is out of sample. A season before or between them was never
served live by that version either (it was predicted after the fact), so it is not live; a version
whose metadata records neither list (or that the registry does not hold) has an unknown window and
is never counted live.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.schema import season_short

OUT_OF_SAMPLE = "out of sample"
TRAINED_ON = "in sample: trained on"
JUDGED_ON = "in sample: judged on"
INSIDE_WINDOW = "in sample: inside its training window"
BEFORE_WINDOW = "not live: before its training window"
UNKNOWN_WINDOW = "not live: training window unknown"


@dataclass(frozen=True)
class TrainingWindow:
    """The seasons a version was trained on and judged on (both empty: unknown)."""

    trained: tuple[int, ...] = ()
    judged: tuple[int, ...] = ()

    @classmethod
    def from_metadata(cls, metadata: Mapping) -> TrainingWindow:
        return cls(
            tuple(sorted(int(s) for s in metadata.get("train_seasons") or ())),
            tuple(sorted(int(s) for s in metadata.get("test_seasons") or ())),
        )

    @property
    def known(self) -> bool:
        return bool(self.trained or self.judged)

    @property
    def last(self) -> int | None:
        """The last season the version saw; live figures start after it."""
        return max((*self.trained, *self.judged)) if self.known else None

    def sample(self, season: int) -> str:
        """How ``season``'s predictions by this version count: only :data:`OUT_OF_SAMPLE` is live."""
        if not self.known:
            return UNKNOWN_WINDOW
        if season in self.judged:
            return JUDGED_ON
        if season in self.trained:
            return TRAINED_ON
        if season > self.last:
            return OUT_OF_SAMPLE
        if season < min((*self.trained, *self.judged)):
            return BEFORE_WINDOW
        return INSIDE_WINDOW

    def describe(self) -> str:
        if not self.known:
            return "training window unknown"
        parts = []
        if self.trained:
            parts.append("trained on " + ", ".join(season_short(s) for s in self.trained))
        if self.judged:
            parts.append("judged on " + ", ".join(season_short(s) for s in self.judged))
        return "; ".join(parts)


def registry_windows(registry: SavedModelStore | None, versions: Iterable[str]) -> dict[str, TrainingWindow]:
    """Each version's window from its registry metadata (unknown when the registry does not hold it)."""
    windows: dict[str, TrainingWindow] = {}
    for version in versions:
        try:
            metadata = registry.metadata(str(version)) if registry is not None else {}
        except ModelNotFoundError:
            metadata = {}
        windows[str(version)] = TrainingWindow.from_metadata(metadata)
    return windows


__all__ = [
    "BEFORE_WINDOW",
    "INSIDE_WINDOW",
    "JUDGED_ON",
    "OUT_OF_SAMPLE",
    "TRAINED_ON",
    "UNKNOWN_WINDOW",
    "TrainingWindow",
    "registry_windows",
]
