"""The domain metric: log loss and AUC at 0%, 25%, 50% and 75% of a season, pooled and per fraction.

Every player of the previous season is scored at each fraction (k = round(f * scheduled games)),
and the rows of the four fractions (and of every judged season) are pooled. Preseason (0%) is
reported next to the base rate's log loss, the rate being the beat share of the training rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

from shot_platform.free_throws.counts import FreeThrowCounts
from shot_platform.free_throws.inputs import FRACTION, season_snapshots
from shot_platform.free_throws.labels import BEAT, attach_labels

EVAL_FRACTIONS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
EPSILON = 1e-7


def _log_loss(label: np.ndarray, probability: np.ndarray) -> float:
    if len(label) == 0:
        return float("nan")
    return float(log_loss(label, np.clip(probability, EPSILON, 1 - EPSILON), labels=[0, 1]))


def _auc(label: np.ndarray, probability: np.ndarray) -> float:
    return float(roc_auc_score(label, probability)) if len(np.unique(label)) == 2 else float("nan")


def evaluation_rows(
    counts: FreeThrowCounts, labels: pd.DataFrame, seasons: Iterable[int], fractions: Sequence[float] = EVAL_FRACTIONS
) -> pd.DataFrame:
    """Every previous-season player of ``seasons`` at each fraction, with ``fraction`` and ``beat``."""
    return attach_labels(season_snapshots(counts, seasons, fractions=fractions), labels)


def evaluate(rows: pd.DataFrame, probability: np.ndarray, base_rate: float) -> dict[str, float]:
    """``score_report`` of predictions for ``evaluation_rows``."""
    return score_report(rows[BEAT].to_numpy(), probability, rows[FRACTION].to_numpy(), base_rate)


def score_report(
    label: np.ndarray,
    probability: np.ndarray,
    fraction: np.ndarray,
    base_rate: float,
    fractions: Sequence[float] = EVAL_FRACTIONS,
) -> dict[str, float]:
    """Pooled AUC and log loss over the rows at ``fractions``, and log loss and AUC per fraction.

    Keys: ``auc``, ``log_loss``, ``rows``, ``base_log_loss`` (always predicting ``base_rate``),
    then ``log_loss@0.25``, ``auc@0.25``, ``base_log_loss@0.25``, ... per fraction (NaN without rows).
    """
    label = np.asarray(label, dtype=np.int64)
    probability = np.asarray(probability, dtype=np.float64)
    fraction = np.asarray(fraction, dtype=np.float64)
    pooled = np.isin(fraction, fractions)
    base = np.full(len(label), base_rate)
    report = {
        "rows": float(pooled.sum()),
        "auc": _auc(label[pooled], probability[pooled]),
        "log_loss": _log_loss(label[pooled], probability[pooled]),
        "base_log_loss": _log_loss(label[pooled], base[pooled]),
    }
    for value in fractions:
        rows = fraction == value
        report[f"log_loss@{value:g}"] = _log_loss(label[rows], probability[rows])
        report[f"auc@{value:g}"] = _auc(label[rows], probability[rows])
        report[f"base_log_loss@{value:g}"] = _log_loss(label[rows], base[rows])
    return report


def report_table(reports: dict[str, dict[str, float]], fractions: Sequence[float] = EVAL_FRACTIONS) -> pd.DataFrame:
    """One row per model: pooled AUC, pooled log loss, log loss per fraction."""
    columns = ["auc", "log_loss", *(f"log_loss@{value:g}" for value in fractions)]
    return pd.DataFrame({name: {column: report[column] for column in columns} for name, report in reports.items()}).T


__all__ = ["EVAL_FRACTIONS", "evaluate", "evaluation_rows", "report_table", "score_report"]
