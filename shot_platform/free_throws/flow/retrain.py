"""Retraining score_beater at a season boundary, through the champion/challenger gate.

The one place the flow (the sync engine, and the Dagster retraining job) trains a challenger. It is
trained on the complete labelled seasons before ``judge_season`` (snapshots after every
``TRAIN_EVERY``-th game of each, the model's own training grid) and judged, with the champion, on
``judge_season``: the season whose labels have just completed, which neither model trained on. The
metric is the domain's (pooled log loss at 0/25/50/75% of the season, ``evaluation.score_report``).
The challenger is saved as a new version either way (with its decision in its metadata) and becomes
the champion only when it beats the base rate and its log loss is strictly lower than the
champion's on the same rows. No refit after the judgement: the promoted model is the one judged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, score_report
from shot_platform.free_throws.features.tables import load_counts
from shot_platform.free_throws.inputs import FRACTION, season_snapshots
from shot_platform.free_throws.labels import BEAT, attach_labels
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.store import FreeThrowStore, tables

TRAIN_TIMEOUT_S = 3600
TRAIN_EVERY = 5  # a training snapshot after every 5th league game (the judged points are exact)
# Trains a challenger on labelled snapshot rows (with ``beat``) and exports its SavedModel to the path.
Trainer = Callable[[pd.DataFrame, Path], dict]


class RetrainUnavailable(RuntimeError):
    """This build has no score_beater training code (the model module is missing)."""


def trained_seasons(models: Any) -> list[int]:
    """The seasons the champion was trained on (its metadata's ``train_seasons``), [] without one."""
    version = models.champion_version()
    if version is None:
        return []
    return [int(season) for season in models.metadata(version).get("train_seasons", [])]


def new_labelled_player_seasons(store: FreeThrowStore, models: Any) -> int:
    """Labelled player-seasons of complete seasons later than every season the champion trained on
    (a season in progress knows only its beats: it does not count until its regular season ends)."""
    seen = trained_seasons(models)
    seasons = [season for season in complete_labelled_seasons(store) if not seen or season > max(seen)]
    if not seasons:
        return 0
    labels = tables.free_throw_labels
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(labels.c.season.in_(seasons))).scalar_one())


def keras_trainer(train: pd.DataFrame, path: Path) -> dict:
    """The score_beater MLP (``free_throws.model``), seeded, exported as a SavedModel, trained in a
    child process: TensorFlow fixes its thread pools and determinism when its first op runs, which in
    this process has already happened for serving (one thread); the child gets the training setup."""
    rows = path.parent / "train.pkl"
    train.to_pickle(rows)
    result = subprocess.run(
        [sys.executable, "-m", "shot_platform.free_throws.flow.retrain", str(rows), str(path)],
        capture_output=True,
        text=True,
        timeout=TRAIN_TIMEOUT_S,
    )
    rows.unlink(missing_ok=True)
    if result.returncode != 0:
        raise RetrainUnavailable(f"score_beater training failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _train_and_export(rows: Path, path: Path) -> dict:
    from shot_platform.free_throws import model

    trained = model.fit_model(pd.read_pickle(rows), model.MLPConfig())
    model.export_model(trained.model, path)
    return {"epochs": trained.epochs, "train_seconds": round(trained.seconds, 1)}


def _labelled_rows(store: FreeThrowStore, seasons: list[int], fractions: tuple[float, ...] | None) -> pd.DataFrame:
    counts = load_counts(store)
    labels = store.load(tables.free_throw_labels)
    if fractions is None:
        rows = season_snapshots(counts, seasons, every=TRAIN_EVERY)
    else:
        rows = season_snapshots(counts, seasons, fractions=fractions)
    return attach_labels(rows, labels)


def _probabilities(path: Path, rows: pd.DataFrame) -> np.ndarray:
    from shot_platform.free_throws.flow.scorers import SavedModelScorer

    return SavedModelScorer.from_directory(path).predict(rows)


def complete_labelled_seasons(store: FreeThrowStore) -> list[int]:
    """Seasons whose every regular-season game is processed (their labels are complete)."""
    from shot_platform.free_throws.flow import ledger

    schedule, processed = tables.free_throw_schedule, ledger.processed_games
    scheduled = select(schedule.c.season, func.count().label("n")).group_by(schedule.c.season).subquery()
    done = (
        select(processed.c.season, func.count().label("n"))
        .where(processed.c.game_number.is_not(None))
        .group_by(processed.c.season)
        .subquery()
    )
    query = select(scheduled.c.season).join(done, done.c.season == scheduled.c.season).where(done.c.n == scheduled.c.n)
    labels = tables.free_throw_labels
    with store.engine.connect() as conn:
        complete = {int(s) for (s,) in conn.execute(query).all()}
        labelled = {int(s) for (s,) in conn.execute(select(labels.c.season).distinct()).all()}
    return sorted(complete & labelled)


def retrain_score_beater(
    store: FreeThrowStore, models: Any, *, judge_season: int, trainer: Trainer | None = None
) -> dict:
    """Train a challenger, judge it against the champion on ``judge_season``, promote only a better one.

    Returns the decision: ``promoted``, ``reason``, ``version`` (the challenger's, if trained),
    ``challenger_log_loss``, ``champion_version``, ``champion_log_loss``, ``train_seasons``.
    """
    from shot_platform.free_throws.flow.scorers import SavedModelScorer

    complete = complete_labelled_seasons(store)
    train_seasons = [season for season in complete if season < judge_season]
    outcome: dict = {"judge_season": judge_season, "train_seasons": train_seasons, "promoted": False}
    if judge_season not in complete:
        return outcome | {"reason": f"not retrained: {season_short(judge_season)} is not complete yet"}
    if not train_seasons:
        return outcome | {"reason": f"not retrained: no complete labelled season before {season_short(judge_season)}"}
    champion = models.champion_version()
    if champion is not None and judge_season in trained_seasons(models):
        return outcome | {"reason": f"not retrained: champion {champion} trained on {season_short(judge_season)}"}

    started = time.perf_counter()
    train = _labelled_rows(store, train_seasons, None)
    judge = _labelled_rows(store, [judge_season], EVAL_FRACTIONS)
    base_rate = float(train[BEAT].mean())
    directory = Path(tempfile.mkdtemp(prefix="score_beater-challenger-"))
    try:
        info = (trainer or keras_trainer)(train, directory / "model")
        challenger = score_report(
            judge[BEAT].to_numpy(), _probabilities(directory / "model", judge), judge[FRACTION], base_rate
        )
        metrics = {key: float(value) for key, value in challenger.items()}
        champion_loss = None
        if champion is not None:
            scorer = SavedModelScorer.from_store(models, champion)
            champion_loss = float(
                score_report(judge[BEAT].to_numpy(), scorer.predict(judge), judge[FRACTION], base_rate)["log_loss"]
            )
        loss = metrics["log_loss"]
        if loss >= metrics["base_log_loss"]:
            promote, why = False, f"not promoted: log loss {loss:.4f} no better than the base rate's"
        elif champion_loss is None:
            promote, why = True, f"promoted: first model, log loss {loss:.4f} beats the base rate"
        else:
            promote = loss < champion_loss
            why = (
                f"{'promoted' if promote else 'not promoted'}: log loss {loss:.4f} vs champion {champion} "
                f"{champion_loss:.4f} on {season_short(judge_season)} (neither trained on it)"
            )
        metadata = {
            "train_seasons": train_seasons,
            "test_seasons": [judge_season],
            "metrics": {"log_loss": loss, "auc": metrics["auc"], "base_rate_log_loss": metrics["base_log_loss"]},
            "judge_metrics": metrics,
            "base_rate": base_rate,
            "train_rows": len(train),
            **info,
            "promotion": {"promoted": promote, "reason": why, "champion": champion, "champion_log_loss": champion_loss},
        }
        version = models.save(directory / "model", metadata)
        if promote:
            models.promote(version, why)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return outcome | {
        "promoted": promote,
        "reason": why,
        "version": version,
        "challenger_log_loss": loss,
        "champion_version": champion,
        "champion_log_loss": champion_loss,
        "seconds": round(time.perf_counter() - started, 1),
    }


__all__ = [
    "RetrainUnavailable",
    "Trainer",
    "complete_labelled_seasons",
    "keras_trainer",
    "new_labelled_player_seasons",
    "retrain_score_beater",
    "trained_seasons",
]


if __name__ == "__main__":
    print(json.dumps(_train_and_export(Path(sys.argv[1]), Path(sys.argv[2]))))
