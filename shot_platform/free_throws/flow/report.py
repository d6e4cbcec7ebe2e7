"""What one sync did (``SyncReport``), and the clock that splits its wall time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shot_platform.free_throws.schema import season_short

if TYPE_CHECKING:
    from shot_platform.free_throws.store import FreeThrowStore


@dataclass
class SyncReport:
    """What one sync did; ``seconds`` splits wall time into model, store, http and other."""

    games_processed: int = 0
    predictions_computed: int = 0
    predictions_reused: int = 0
    labels_new: int = 0
    quarantined: int = 0  # games and play rows quarantined by this sync
    retrained: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("model", "store", "http", "other"), 0.0))
    rows_inserted: int = 0
    last_game: int | None = None
    waiting_for: int | None = None  # a scheduled game the API has not finalised; later games wait for it
    problems: list[str] = field(default_factory=list)  # what stopped the sync early (retry later)
    corrections: list[str] = field(default_factory=list)  # processed games whose result changed since
    schedule_changes: list[str] = field(default_factory=list)  # processed games the schedule dropped since
    held_back: dict[int, list[int]] = field(default_factory=dict)  # season -> quarantined regular games
    model_version: str = ""

    @property
    def cache_hit_rate(self) -> float:
        total = self.predictions_computed + self.predictions_reused
        return self.predictions_reused / total if total else 0.0

    def summary(self) -> str:
        seconds = ", ".join(f"{name} {value:.1f} s" for name, value in self.seconds.items())
        text = (
            f"{self.games_processed} games, {self.predictions_computed} predictions computed, "
            f"{self.predictions_reused} reused from the cache, {self.labels_new} new labels, "
            f"{self.quarantined} quarantined, {len(self.retrained)} retraining runs ({seconds})"
        )
        if self.corrections:
            text += f"; {len(self.corrections)} results changed after they were processed (quarantined, not applied)"
        if self.schedule_changes:
            text += (
                f"; {len(self.schedule_changes)} processed games no longer in the provider's schedule "
                "(counts kept, quarantined)"
            )
        for season, games in sorted(self.held_back.items()):
            text += (
                f"; {season_short(season)} labels not final: {len(games)} regular-season games quarantined "
                f"({', '.join(map(str, games[:5]))}{', ...' if len(games) > 5 else ''})"
            )
        if self.waiting_for is not None:
            text += f"; waiting for game {self.waiting_for} (not final yet)"
        return text


class Clock:
    """Adds the time spent in a block to ``report.seconds[kind]``; ``finish`` books the rest as other."""

    def __init__(self, report: SyncReport) -> None:
        self.report = report
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.seconds[kind] += time.perf_counter() - started

    def finish(self) -> None:
        total = time.perf_counter() - self.started
        measured = sum(v for k, v in self.report.seconds.items() if k != "other")
        self.report.seconds["other"] = max(0.0, total - measured)


__all__ = ["Clock", "SyncReport"]


@dataclass
class SyncPart:
    """What every part of one sync shares: the store, the report it fills, the clock that times it and
    the progress lines."""

    store: FreeThrowStore
    report: SyncReport
    clock: Clock
    progress: Callable[[str], None]
