"""The candidate model families trained for every shot model."""

from __future__ import annotations

from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def candidate_models(seed: int = 0) -> dict[str, ClassifierMixin]:
    """Fresh, unfitted candidates by name.

    Logistic regression is the transparent baseline; gradient boosting catches
    the non-linear distance and defender effects. Early stopping keeps the
    boosted model from memorising a small store.
    """
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(C=0.2, max_iter=2000)),
        "gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=2000,
            max_leaf_nodes=7,  # shallow trees: chosen on the selection games of the real data
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=seed,
        ),
    }
