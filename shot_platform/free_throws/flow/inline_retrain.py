"""Retraining inside the sync (``sync_free_throws(retrain=True)``, the CLI's path; under Dagster the
labels sensor retrains in its own run instead).

Due from what the store says, checked when a sync starts and after a season completes: the newest
complete season with at least ``SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS`` (default 100) labelled
player-seasons the champion has not trained on, and no retraining judged on it recorded yet.
score_beater is then retrained through the gate (``retrain.py``) before the next season's preseason
predictions, and the attempt is recorded once it ends: a sync killed during it retrains when it
restarts, a rejected challenger is not trained again for the same labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.report import SyncPart
from shot_platform.free_throws.settings import FreeThrowSettings


def retrain_threshold(value: int | None = None) -> int:
    return value if value is not None else FreeThrowSettings.from_env().retrain_min_new_labels


@dataclass
class InlineRetrain(SyncPart):
    models: Any
    min_new_labels: int
    trainer: Any

    def maybe_retrain(self) -> bool:
        """Retrain when the store says it is due (see the module docstring); whether it did."""
        # Imported when asked: a sync that never retrains does not load the training and evaluation code.
        from shot_platform.free_throws.flow.retrain import retrain_score_beater
        from shot_platform.free_throws.retraining import new_labels

        if self.models is None:
            return False
        with self.clock("model"):
            due = new_labels(self.store, self.models)
        judge = due.judge_season
        if judge is None:
            return False
        with self.store.engine.connect() as conn:
            if ledger.retrain_attempted(conn, judge) is not None:
                return False
        if due.count < self.min_new_labels:
            self.progress(f"no retraining: {due.count} new labelled player-seasons, fewer than {self.min_new_labels}")
            return False
        self.progress(f"retraining score_beater on {due.describe()} ...")
        outcome = retrain_score_beater(self.store, self.models, judge_season=judge, trainer=self.trainer, resume=True)
        with self.store.transaction() as conn:
            ledger.record_retrain_attempt(conn, judge, json.dumps(outcome, sort_keys=True, default=str))
        self.report.retrained.append(outcome)
        self.progress(f"retraining: {outcome.get('reason', outcome)}")
        return True


__all__ = ["InlineRetrain", "retrain_threshold"]
