"""Training score_beater: the recipe of ``research/score_beater/REPORT.md``, the platform's one trainer.

Given the complete labelled seasons to train on, the rows are labelled snapshots after every
``labels.TRAIN_EVERY``-th league game of each season plus two schedule-rescaled copies
(``labels.training_rows``). The number of epochs is chosen by early stopping on the *latest*
training season (the MLP is first fitted on the seasons before it and judged at 0/25/50/75% of
it), then the model is refitted on every training season for exactly that many epochs -- the
split of the reference comparison (epochs chosen on 2011-12, refit on 2007-08..2011-12). With a
single training season no later season is left to choose on; the epochs are then chosen on a
fifth of its players held out (``HOLDOUT_SHARE``), never on the season the model is judged on.
A fixed count does not carry over between data sizes: on a synthetic 40-game store, 8 epochs (the
reference split's choice) gave log loss 0.700 against the base rate's 0.640, while early stopping
chose 1 epoch there (measured, seed 0).

TensorFlow runs in a child process (``keras_trainer``): it fixes its thread pools and op
determinism when its first op runs, which in a service or Dagster process may already have
happened with other settings; the child gets the training setup (2 threads, deterministic ops,
seeded) and hands back a SavedModel. This module itself imports no TensorFlow.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.free_throws.counts import FreeThrowCounts
from shot_platform.free_throws.evaluation import evaluation_rows
from shot_platform.free_throws.labels import BEAT, RESCALED, training_rows
from shot_platform.free_throws.schema import PLAYER

TRAIN_TIMEOUT_S = 3600
PROGRESS = "score_beater progress: "  # the child's stderr lines that report an epoch (JSON after it)
CHOOSING, FINAL = "choosing epochs", "final"
# report(fit, epoch, epochs, logs): a finished epoch of one of the two fits
EpochReport = Callable[[str, int, int, dict[str, float]], None]
HOLDOUT_SHARE = 0.2  # players held out to choose the epochs when there is one training season


class TrainingError(RuntimeError):
    """Training score_beater failed (the child's error is in the message)."""


@dataclass
class TrainingSet:
    """The rows one training run needs, built from the counts (no TensorFlow)."""

    train_seasons: list[int]
    train: pd.DataFrame  # training rows of every training season (with ``beat`` and ``rescaled``)
    selection_train: pd.DataFrame  # training rows of the seasons before the latest one
    selection: pd.DataFrame  # the latest training season at the evaluation fractions
    seed: int = 0
    probe: pd.DataFrame | None = None  # rows to score (the judged season): see ``train_and_export``
    champion: Path | None = None  # a local SavedModel to score the probe rows with too (the champion)

    @property
    def base_rate(self) -> float:
        """Share of beats among the real (not rescaled) training rows."""
        return float(self.train.loc[~self.train[RESCALED], BEAT].mean())

    @property
    def chosen_on(self) -> str:
        """Where the epochs are chosen: the latest season, or held-out players of the only one."""
        latest = self.train_seasons[-1]
        return f"season {latest}" if len(self.train_seasons) > 1 else f"{HOLDOUT_SHARE:.0%} of the players of {latest}"

    def describe(self) -> str:
        return f"{len(self.train):,} training rows of seasons {self.train_seasons}, epochs chosen on {self.chosen_on}"


def training_set(counts: FreeThrowCounts, labels: pd.DataFrame, seasons: Iterable[int], seed: int = 0) -> TrainingSet:
    """The training, selection-training and selection rows for ``seasons`` (complete, labelled)."""
    seasons = sorted(seasons)
    if not seasons:
        raise ValueError("no season to train on")
    train = training_rows(counts, labels, seasons, seed=seed)
    if len(seasons) > 1:
        selection_train = training_rows(counts, labels, seasons[:-1], seed=seed)
        selection = evaluation_rows(counts, labels, seasons[-1:])
    else:
        selection = evaluation_rows(counts, labels, seasons)
        players = np.sort(selection[PLAYER].unique())
        rng = np.random.default_rng(seed)
        held_out = rng.choice(players, size=max(1, round(HOLDOUT_SHARE * len(players))), replace=False)
        selection = selection[selection[PLAYER].isin(held_out)].reset_index(drop=True)
        selection_train = train[~train[PLAYER].isin(held_out)].reset_index(drop=True)
    return TrainingSet(seasons, train, selection_train, selection, seed)


# Trains on a TrainingSet and exports the SavedModel to the path; returns facts for the metadata.
Trainer = Callable[[TrainingSet, Path], dict]


def train_and_export(data: TrainingSet, path: Path, verbose: int = 0, report: EpochReport | None = None) -> dict:
    """Fit (epochs chosen on the selection season when there is one) and export, in this process.
    ``report(fit, epoch, epochs, logs)`` follows both fits (``fit`` "choosing epochs", then "final")."""
    from shot_platform.free_throws import model

    config = model.MLPConfig(seed=data.seed)
    started = time.perf_counter()

    def follow(fit: str, total: int) -> Callable[[int, dict[str, float]], None] | None:
        return None if report is None else lambda epoch, logs: report(fit, epoch, total, logs)

    chosen = model.fit_model(data.selection_train, config, validation=data.selection, verbose=verbose,
                             report=follow(CHOOSING, config.max_epochs))  # fmt: skip
    epochs, selection_seconds = chosen.epochs, chosen.seconds
    final = model.fit_model(data.train, config, epochs=epochs, verbose=verbose, report=follow(FINAL, epochs))
    model.export_model(final.model, path)
    return _probe(data, final.model, path) | {
        "epochs": epochs,
        "epochs_chosen_on": data.chosen_on,
        "train_rows": len(data.train),
        "train_seconds": round(time.perf_counter() - started, 1),
        "final_fit_seconds": round(final.seconds, 1),
        "final_fit_cpu_seconds": round(final.cpu_seconds, 1),
        "selection_fit_seconds": round(selection_seconds, 1),
        "config": {key: list(value) if isinstance(value, tuple) else value for key, value in vars(config).items()},
    }


def _probe(data: TrainingSet, trained: object, path: Path) -> dict[str, list[float]]:
    """Probabilities of the probe rows: ``trained_probabilities`` from the in-memory Keras model,
    ``probe_probabilities`` from the exported SavedModel as the service loads it (what the gate
    judges), ``champion_probabilities`` from ``data.champion``. Scoring here keeps TensorFlow out of
    the process that asked for the training (a Dagster run, the sync command)."""
    if data.probe is None:
        return {}
    from shot_platform.free_throws import model
    from shot_platform.free_throws.serving.champion import SavedModelScorer

    scored = {
        "trained_probabilities": model.predict(trained, data.probe).tolist(),
        "probe_probabilities": SavedModelScorer.from_directory(path).predict(data.probe).tolist(),
    }
    if data.champion is not None:
        scored["champion_probabilities"] = SavedModelScorer.from_directory(data.champion).predict(data.probe).tolist()
    return scored


def keras_trainer(data: TrainingSet, path: Path, report: EpochReport | None = None) -> dict:
    """``train_and_export`` in a child process (see the module docstring); raises ``TrainingError``.
    The child's epochs are followed as they end: ``report`` (default ``epoch_progress()``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, result = path.parent / "training-set.pkl", path.parent / "training-result.json"
    with rows.open("wb") as file:
        pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
    report = report or epoch_progress()
    errors: list[str] = []
    try:
        with result.open("w") as out:
            child = subprocess.Popen(
                [sys.executable, "-m", "shot_platform.free_throws.training", str(rows), str(path)],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
            )
            # A hung child is killed at the deadline; its stderr then ends and the wait returns.
            watchdog = threading.Timer(TRAIN_TIMEOUT_S, child.kill)
            watchdog.start()
            try:
                assert child.stderr is not None
                for line in child.stderr:
                    if line.startswith(PROGRESS):
                        report(*json.loads(line[len(PROGRESS) :]))
                    else:
                        errors.append(line)
                returncode = child.wait()
            finally:
                watchdog.cancel()
        output = result.read_text()
    finally:
        rows.unlink(missing_ok=True)
        result.unlink(missing_ok=True)
    if returncode != 0:
        why = "timed out" if returncode == -9 else "failed"
        raise TrainingError(f"score_beater training {why}: {''.join(errors).strip()[-2000:]}")
    return json.loads(output.strip().splitlines()[-1])


def epoch_progress() -> EpochReport:
    """Each epoch as a line of the Dagster run's log (silent outside a run), and a bar per fit on a
    terminal (stderr; none when it is not a terminal)."""
    from dagster import get_dagster_logger
    from tqdm import tqdm

    log = get_dagster_logger("score_beater training")
    bars: dict[str, Any] = {}

    def report(fit: str, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        shown = ", ".join(f"{name} {value:.4f}" for name, value in sorted(logs.items()))
        log.info(f"score_beater fit ({fit}): epoch {epoch}/{epochs}: {shown}")
        if fit == FINAL and CHOOSING in bars:  # early stopping may have ended the first fit before its last epoch
            bars.pop(CHOOSING).close()
        bar = bars.get(fit)
        if bar is None:
            bar = bars[fit] = tqdm(desc=f"  training score_beater ({fit})", total=epochs, unit=" epochs",
                                   file=sys.stderr, disable=None)  # fmt: skip
        bar.update(epoch - bar.n)
        if epoch >= epochs:
            bars.pop(fit).close()

    return report


def _main(rows: Path, path: Path) -> None:
    with rows.open("rb") as file:
        data = pickle.load(file)  # written by keras_trainer in the parent, never from outside

    def report(fit: str, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        print(PROGRESS + json.dumps([fit, epoch, epochs, logs]), file=sys.stderr, flush=True)

    print(json.dumps(train_and_export(data, path, report=report)))


__all__ = [
    "HOLDOUT_SHARE",
    "Trainer",
    "TrainingError",
    "TrainingSet",
    "keras_trainer",
    "train_and_export",
    "training_set",
]


if __name__ == "__main__":
    _main(Path(sys.argv[1]), Path(sys.argv[2]))
