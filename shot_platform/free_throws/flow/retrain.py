"""Retraining score_beater at a season boundary, through the champion/challenger gate.

The one place the platform trains a challenger (the sync engine, the Dagster ``score_beater``
asset and its retraining job all come here). The challenger is trained on the complete seasons
before ``judge_season`` with the research recipe (``training``: snapshots every 10 league games
plus schedule-rescaled copies, epochs chosen on the latest training season) and judged, with the
champion, on ``judge_season``: a complete season neither model trained on. The metric is the
domain's (pooled log loss at 0/25/50/75% of the season, ``evaluation.evaluate``). Logistic
regression and HistGradientBoosting are trained on the same rows and judged on the same season,
and the comparison goes into the challenger's metadata. The challenger is saved as a new version
either way (with its decision in its metadata) and becomes the champion by the platform's one rule
(``core.gate.judge``): it beats the base rate and its log loss is strictly lower than the champion's
on the same unseen games, the judged season; a tie keeps the champion. No refit after the
judgement: the promoted model is the one judged. Nothing is trained when a challenger would learn
from nothing the champion has not seen (``nothing_new_to_learn``, also what the sensor asks).

Labels come from the stored counts (``labels.beat_labels``), exact for complete seasons, so a
store filled by file ingest trains without waiting for the ground-truth asset.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.core.gate import HeldOut
from shot_platform.core.gate import judge as judge_challenger
from shot_platform.free_throws.baselines import baseline_reports
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, evaluate, evaluation_rows, report_table
from shot_platform.free_throws.features.tables import load_counts
from shot_platform.free_throws.labels import BEAT, beat_labels
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.free_throws.training import Trainer, TrainingError, keras_trainer, training_set

MLP = "MLP (score_beater)"


def trained_seasons(models: Any) -> list[int]:
    """The seasons the champion was trained on (its metadata's ``train_seasons``), [] without one."""
    version = models.champion_version()
    if version is None:
        return []
    return [int(season) for season in models.metadata(version).get("train_seasons", [])]


def complete_seasons(store: FreeThrowStore) -> list[int]:
    """Seasons whose regular season is complete and whose previous season is stored: every player
    of the previous season has his label (``live_metrics.store_progress``)."""
    from shot_platform.free_throws.live_metrics import store_progress

    return seasons_with_labels(store_progress(store))


def seasons_with_labels(progress: Mapping[int, Any]) -> list[int]:
    """``complete_seasons`` from a ``store_progress`` already read."""
    return sorted(season for season, state in progress.items() if state.complete and season - 1 in progress)


def nothing_new_to_learn(champion: str | None, seen: list[int], complete: list[int], judge_season: int) -> str | None:
    """Why a challenger judged on ``judge_season`` would learn nothing the champion (trained on the
    seasons ``seen``) has not: it was trained on the judged season, or every season a challenger
    would train on (the complete ones before it) is one it trained on. Such a challenger could only
    tie, and the registry would fill with copies. None when there is something new (or no champion)."""
    if champion is None:
        return None
    if judge_season in seen:
        return f"not retrained: champion {champion} trained on {season_short(judge_season)}"
    train_seasons = [season for season in complete if season < judge_season]
    if train_seasons and set(train_seasons) <= set(seen):
        seasons = ", ".join(season_short(season) for season in train_seasons)
        return f"not retrained: nothing new to learn (champion {champion} trained on {seasons} already)"
    return None


def calibration_bins(label: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """``live_metrics.calibration_table`` as JSON-able rows (for the metadata's calibration plot)."""
    from shot_platform.free_throws.live_metrics import calibration_table

    table = calibration_table(pd.DataFrame({BEAT: label, "probability": probability}), bins)
    return [{key: float(value) for key, value in row.items()} for row in table.drop(columns="bin").to_dict("records")]


def comparison_table(reports: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """``evaluation.report_table`` as JSON-able nested dicts (model -> metric -> value)."""
    table = report_table(reports).astype(float).round(4)
    return {str(name): {str(k): float(v) for k, v in row.items()} for name, row in table.iterrows()}


def saved_attempt(models: Any, train_seasons: list[int], judge_season: int) -> tuple[str, dict] | None:
    """The newest registry version when it is the challenger of these labels (same training seasons,
    judged on ``judge_season``): a retraining that saved it and was stopped before it was recorded."""
    versions = models.versions()
    if not versions:
        return None
    metadata = models.metadata(versions[-1])
    same = [int(s) for s in metadata.get("train_seasons", [])] == train_seasons
    if same and [int(s) for s in metadata.get("test_seasons", [])] == [judge_season] and "promotion" in metadata:
        return versions[-1], metadata
    return None


def retrain_score_beater(
    store: FreeThrowStore,
    models: Any,
    *,
    judge_season: int,
    trainer: Trainer | None = None,
    seed: int = 0,
    resume: bool = False,
) -> dict:
    """Train a challenger, judge it against the champion on ``judge_season``, promote only if strictly better.

    Returns the decision: ``promoted``, ``reason``, ``version`` (the challenger's, if trained),
    ``challenger_log_loss``, ``champion_version``, ``champion_log_loss``, ``train_seasons``.
    With ``resume`` (the sync engine), a challenger of the same labels already in the registry (a run
    killed after saving it) is not trained again: its recorded decision is applied (promoted if it
    was to be), so the store ends as if the run had not been stopped.
    """
    complete = complete_seasons(store)
    train_seasons = [season for season in complete if season < judge_season]
    outcome: dict = {"judge_season": judge_season, "train_seasons": train_seasons, "promoted": False}
    if judge_season not in complete:
        return outcome | {"reason": f"not retrained: {season_short(judge_season)} is not complete yet"}
    if not train_seasons:
        return outcome | {"reason": f"not retrained: no complete labelled season before {season_short(judge_season)}"}
    champion = models.champion_version()
    saved = saved_attempt(models, train_seasons, judge_season) if resume else None
    if saved is not None:
        version, metadata = saved
        decision = metadata["promotion"]
        if decision.get("promoted") and champion != version:
            models.promote(version, str(decision.get("reason", "")))
        return outcome | {
            "promoted": bool(decision.get("promoted")),
            "reason": f"{decision.get('reason', '')} (version {version}, saved by a retraining that was stopped)",
            "version": version,
            "challenger_log_loss": metadata.get("metrics", {}).get("log_loss"),
            "champion_version": decision.get("champion"),
            "champion_log_loss": decision.get("champion_log_loss"),
        }
    idle = nothing_new_to_learn(champion, trained_seasons(models), complete, judge_season)
    if idle is not None:
        return outcome | {"reason": idle}

    started = time.perf_counter()
    counts = load_counts(store)
    labels = beat_labels(counts.totals)
    data = training_set(counts, labels, train_seasons, seed=seed)
    judge = evaluation_rows(counts, labels, [judge_season])
    # The trainer's child process scores the judged rows with the exported challenger and the champion.
    data.probe = judge
    data.champion = Path(models.load(champion)) if champion is not None else None
    base_rate = data.base_rate
    directory = Path(tempfile.mkdtemp(prefix="score_beater-challenger-"))
    try:
        info = (trainer or keras_trainer)(data, directory / "model")
        info.pop("trained_probabilities", None)
        probability = np.asarray(info.pop("probe_probabilities"), dtype=np.float64)
        champion_scored = info.pop("champion_probabilities", None)
        metrics = {key: float(value) for key, value in evaluate(judge, probability, base_rate).items()}
        reports, baseline_seconds = baseline_reports(data.train, judge, seed)
        reports[MLP] = metrics
        champion_loss = None
        if champion is not None and champion_scored is not None:
            champion_report = evaluate(judge, np.asarray(champion_scored, dtype=np.float64), base_rate)
            champion_loss = float(champion_report["log_loss"])
            reports[f"champion {champion}"] = champion_report
        loss = metrics["log_loss"]
        held_out = HeldOut(
            str(judge_season), f"{season_short(judge_season)}, a complete season neither model trained on", len(judge)
        )
        decision = judge_challenger(loss, metrics["base_log_loss"], champion, held_out, loss, champion_loss)
        promote, why = decision.promoted, decision.reason
        metadata = {
            "train_seasons": train_seasons,
            "test_seasons": [judge_season],
            "metrics": {"log_loss": loss, "auc": metrics["auc"], "base_rate_log_loss": metrics["base_log_loss"]},
            "judge_metrics": metrics,
            "comparison": comparison_table(reports),
            "baseline_fit_seconds": {name: round(value, 1) for name, value in baseline_seconds.items()},
            "calibration": calibration_bins(judge[BEAT].to_numpy(), probability),
            "eval_fractions": list(EVAL_FRACTIONS),
            "base_rate": base_rate,
            "judged_rows": len(judge),
            **info,
            "promotion": decision.as_metadata(),
        }
        version = models.save(directory / "model", metadata)
        if promote:
            models.promote(version, why)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if data.champion is not None:  # the champion's verified copy, made for the trainer to score with
            shutil.rmtree(data.champion, ignore_errors=True)
    return outcome | {
        "promoted": promote,
        "reason": why,
        "version": version,
        "challenger_log_loss": loss,
        "champion_version": champion,
        "champion_log_loss": champion_loss,
        "comparison": metadata["comparison"],
        "seconds": round(time.perf_counter() - started, 1),
    }


__all__ = [
    "MLP",
    "TrainingError",
    "calibration_bins",
    "comparison_table",
    "complete_seasons",
    "keras_trainer",
    "nothing_new_to_learn",
    "retrain_score_beater",
    "saved_attempt",
    "seasons_with_labels",
    "trained_seasons",
]
