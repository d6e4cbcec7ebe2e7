"""Training the shot model: candidates on earlier games, selection on later ones,
an honest report on the latest ones."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pandas as pd
from sklearn.base import clone

from shot_platform.core.metrics import probability_metrics
from shot_platform.core.split import TimeSplit, time_split
from shot_platform.core.threads import apply_model_threads
from shot_platform.shots.features.frame import FEATURE_COLUMNS, build_features, feature_matrix
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.models.candidates import candidate_models
from shot_platform.shots.models.training_input import training_input
from shot_platform.shots.schema import LABEL


@dataclass
class TrainingResult:
    """The chosen model plus what is needed to explain the choice."""

    model: ShotModel
    split: TimeSplit
    candidates: pd.DataFrame  # one row per candidate: valid and test metrics
    test_frame: pd.DataFrame  # game_date, y, probability on the test games (for plots)


def new_version(now: dt.datetime | None = None, salt: str = "") -> str:
    """Sortable, unique version id: UTC time plus a short hash."""
    now = now or dt.datetime.now(dt.UTC)
    digest = hashlib.sha1(f"{now.isoformat()}{salt}".encode()).hexdigest()[:6]
    return f"{now:%Y%m%dT%H%M%S}-{digest}"


def train_shot_model(shots: pd.DataFrame, history: pd.DataFrame, seed: int = 0) -> TrainingResult:
    """Fit every candidate, keep the best by validation log loss, report on the test games.

    The chosen family is refit on train + validation games (the most recent
    data matters in-season) and only then scored on the test games.
    """
    apply_model_threads()
    return _train(shots, history, seed)


def _train(shots: pd.DataFrame, history: pd.DataFrame, seed: int) -> TrainingResult:
    # A plain matrix: the model's column order is FEATURE_COLUMNS, kept in the artifact.
    features = feature_matrix(shots, history)
    label = shots[LABEL].astype(int).to_numpy()
    split = time_split(shots["game_date"])
    base_rate = float(label[split.train].mean())
    rows = []
    from dagster import get_dagster_logger  # here: whoever imports this module for evaluate_on needs no Dagster

    # In a Dagster run these lines are in the run's log; elsewhere INFO is silent.
    log = get_dagster_logger("shot_model training")
    models = candidate_models(seed)
    for number, (name, estimator) in enumerate(models.items(), start=1):
        log.info(f"fitting candidate {number}/{len(models)}: {name} on {int(split.train.sum()):,} shots")
        estimator.fit(features[split.train], label[split.train])
        valid = probability_metrics(label[split.valid], estimator.predict_proba(features[split.valid])[:, 1], base_rate)
        test = probability_metrics(label[split.test], estimator.predict_proba(features[split.test])[:, 1], base_rate)
        rows.append(
            {
                "candidate": name,
                **{f"valid_{k}": v for k, v in valid.items()},
                **{f"test_{k}": v for k, v in test.items()},
            }
        )
    candidates = pd.DataFrame(rows).sort_values("valid_log_loss", ignore_index=True)
    best = str(candidates.loc[0, "candidate"])

    fit_rows = split.train | split.valid
    log.info(f"refitting {best} on {int(fit_rows.sum()):,} train and validation shots")
    final = clone(candidate_models(seed)[best]).fit(features[fit_rows], label[fit_rows])
    probability = final.predict_proba(features[split.test])[:, 1]
    metrics = probability_metrics(label[split.test], probability, float(label[fit_rows].mean()))
    version = new_version(salt=best)
    metadata = {
        "model": "shot_model",
        "version": version,
        "candidate": best,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
        "train_dates": [split.dates["train"][0], split.dates["valid"][1]],
        "selection_dates": list(split.dates["valid"]),
        "test_dates": list(split.dates["test"]),
        "train_rows": int(fit_rows.sum()),
        "feature_columns": list(FEATURE_COLUMNS),
        "trained_through_shot_id": int(shots["id"].max()) if "id" in shots else None,
        "training_input": training_input(shots),
    }
    model = ShotModel(estimator=final, feature_columns=tuple(FEATURE_COLUMNS), version=version, metadata=metadata)
    test_frame = pd.DataFrame(
        {"game_date": shots["game_date"].to_numpy()[split.test], "y": label[split.test], "probability": probability}
    )
    return TrainingResult(model=model, split=split, candidates=candidates, test_frame=test_frame)


def evaluate_on(model: ShotModel, shots: pd.DataFrame, history: pd.DataFrame, base_rate: float | None = None) -> dict:
    """Metrics of a stored model on given labelled shots (used to compare champion and challenger)."""
    probability = model.predict_proba(build_features(shots, history))
    return probability_metrics(shots[LABEL].astype(int).to_numpy(), probability, base_rate)


__all__ = ["TrainingResult", "evaluate_on", "new_version", "train_shot_model"]
