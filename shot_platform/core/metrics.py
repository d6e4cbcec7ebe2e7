"""Probability-quality metrics, computed the same way for training, gating and monitoring."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score

EPSILON = 1e-6


def probability_metrics(y_true: np.ndarray, probability: np.ndarray, base_rate: float | None = None) -> dict:
    """AUC, log loss, Brier, accuracy, and the log loss of always predicting the base rate.

    ``base_rate`` should come from the training data; by default it is the
    observed rate, which flatters the baseline slightly.
    """
    y_true = np.asarray(y_true, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), EPSILON, 1 - EPSILON)
    rate = float(np.mean(y_true)) if base_rate is None else float(base_rate)
    both_classes = len(np.unique(y_true)) == 2
    return {
        "rows": len(y_true),
        "auc": float(roc_auc_score(y_true, probability)) if both_classes else float("nan"),
        "log_loss": float(log_loss(y_true, probability, labels=[0, 1])),
        "brier": float(brier_score_loss(y_true, probability)),
        "accuracy": float(accuracy_score(y_true, probability >= 0.5)),
        "made_rate": float(np.mean(y_true)) if len(y_true) else float("nan"),
        "mean_probability": float(np.mean(probability)) if len(y_true) else float("nan"),
        "base_rate": rate,
        "base_rate_log_loss": float(
            log_loss(y_true, np.full(len(y_true), np.clip(rate, EPSILON, 1 - EPSILON)), labels=[0, 1])
        ),
    }
