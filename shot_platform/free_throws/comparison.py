"""The score_beater comparison on the reference split: ``python -m shot_platform.free_throws.comparison``.

Selection: train on 2007-08..2010-11, choose the MLP's epochs on 2011-12. Test: refit on
2007-08..2011-12 with those settings and report on 2012-13 + 2013-14 at 0/25/50/75% of each
season, next to the base rate, logistic regression and HistGradientBoosting trained on the same
snapshot rows (logistic regression without the schedule-rescaled copies, which hurt it on the
selection season). Then export the MLP, reload it in a fresh process with ``tf.saved_model.load`` alone and
compare probabilities, and (unless ``--no-repeat``) train it again with the same seed to check
that predictions are identical.
"""

# ruff: noqa: E402 -- the log level must be set before model.py imports TensorFlow (it reads it once)
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shot_platform.core.settings import TF_LOG_LEVEL_ENV, child_environment, export_variable

# Before model.py imports TensorFlow: TF 2.21 logs a harmless tf.data attribute error per fit.
export_variable(TF_LOG_LEVEL_ENV, "3", keep_existing=True)

from shot_platform.free_throws.baselines import baseline_reports
from shot_platform.free_throws.check_export import EXPECTED
from shot_platform.free_throws.counts import build_counts, load_events
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, evaluate, evaluation_rows, report_table
from shot_platform.free_throws.labels import BEAT, RESCALED, beat_labels, training_rows
from shot_platform.free_throws.model import (
    MLPConfig,
    TrainedModel,
    configure_tensorflow,
    export_model,
    fit_model,
    model_inputs,
    predict,
)
from shot_platform.free_throws.schema import SEASON, season_short
from shot_platform.free_throws.settings import FreeThrowSettings

if TYPE_CHECKING:
    import keras

# ../shared/data beside the repository, as in the developers' guide; FREE_THROWS_DATA overrides it.
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "free_throws_2006-07_2013-14.csv.gz"
SELECTION_TRAIN: tuple[int, ...] = (2007, 2008, 2009, 2010)
SELECTION: tuple[int, ...] = (2011,)
FINAL_TRAIN: tuple[int, ...] = (2007, 2008, 2009, 2010, 2011)
TEST: tuple[int, ...] = (2012, 2013)
MLP = "MLP (score_beater)"
TARGET_LOG_LOSS = 0.385


def _seasons(seasons: tuple[int, ...]) -> str:
    return f"{season_short(seasons[0])}..{season_short(seasons[-1])}" if len(seasons) > 1 else season_short(seasons[0])


@dataclass
class Comparison:
    """Reports per model on the judged rows, plus the MLP and its probabilities."""

    reports: dict[str, dict[str, float]]
    base_rate: float
    trained: TrainedModel
    probability: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)


def compare_models(train: pd.DataFrame, judged: pd.DataFrame, config: MLPConfig, epochs: int | None) -> Comparison:
    """Base rate, baselines and MLP trained on ``train``, judged on ``judged``.

    ``epochs=None``: the MLP early-stops on ``judged`` (the selection season); otherwise it
    trains exactly ``epochs`` epochs and ``judged`` is never seen in training.
    """
    reports, seconds = baseline_reports(train, judged, config.seed)
    base_rate = float(train.loc[~train[RESCALED], BEAT].mean())
    trained = fit_model(train, config, epochs=epochs, validation=judged if epochs is None else None)
    probability = predict(trained.model, judged)
    reports[MLP] = evaluate(judged, probability, base_rate)
    return Comparison(reports, base_rate, trained, probability, seconds)


def _print_table(title: str, reports: dict[str, dict[str, float]]) -> None:
    table = report_table(reports).rename(
        columns={"auc": "AUC", "log_loss": "log loss", **{f"log_loss@{f:g}": f"LL@{f:.0%}" for f in EVAL_FRACTIONS}}
    )
    print(f"\n{title}")
    print(table.to_string(float_format=lambda value: f"{value:.4f}"))


def _check_export(model: keras.Model, judged: pd.DataFrame, expected: np.ndarray, directory: Path) -> bool:
    """Export, then reload and score in a fresh interpreter (TensorFlow + NumPy only)."""
    path = export_model(model, directory / "score_beater")
    cases = directory / "cases.npz"
    np.savez(cases, **model_inputs(judged), **{EXPECTED: expected})
    package = "shot_platform.free_throws"
    import_root = Path(__file__).resolve().parents[2]
    environment = child_environment(pythonpath=str(import_root))
    result = subprocess.run(
        [sys.executable, "-m", f"{package}.check_export", str(path), str(cases)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    print(f"export {path}: fresh-process reload -> {result.stdout.strip() or result.stderr.strip()[-2000:]}")
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="score_beater: baselines vs MLP on the reference split")
    parser.add_argument("--data", type=Path, default=FreeThrowSettings.from_env().reference_data or DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--export-dir", type=Path, default=None, help="keep the SavedModel here (default: temporary)")
    parser.add_argument("--no-repeat", action="store_true", help="skip the same-seed retraining check")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="skip the selection run and train the final MLP for this many epochs (the selection chose 8)",
    )
    args = parser.parse_args(argv)
    configure_tensorflow(args.threads)
    config = replace(MLPConfig(), seed=args.seed)
    pd.set_option("display.width", 160)

    started = time.perf_counter()
    try:
        events = load_events(args.data)
    except (OSError, ValueError, KeyError) as error:  # missing, empty, not CSV, wrong columns
        parser.exit(1, f"error: cannot read {args.data}: {error}; pass --data PATH to the Kaggle free-throws file\n")
    counts = build_counts(events)
    labels = beat_labels(counts.totals)
    final_train = training_rows(counts, labels, FINAL_TRAIN, seed=args.seed)
    test = evaluation_rows(counts, labels, TEST)
    print(
        f"data and rows in {time.perf_counter() - started:.1f} s: {len(final_train):,} training rows (a third "
        f"real, two thirds schedule-rescaled copies); {len(test):,} judged rows",
        flush=True,
    )
    print(f"MLP settings: {config}")

    selection_seconds = 0.0
    if args.epochs is None:
        selection_train = training_rows(counts, labels, SELECTION_TRAIN, seed=args.seed)
        selection = evaluation_rows(counts, labels, SELECTION)
        selection_run = compare_models(selection_train, selection, config, epochs=None)
        epochs, selection_seconds = selection_run.trained.epochs, selection_run.trained.seconds
        _print_table(
            f"Selection season {_seasons(SELECTION)} (trained on {_seasons(SELECTION_TRAIN)}, "
            f"{len(selection_train):,} rows); MLP early-stopped at epoch {epochs}",
            selection_run.reports,
        )
    else:
        epochs = args.epochs
        print(f"selection skipped (--epochs {epochs})")
    final = compare_models(final_train, test, config, epochs=epochs)
    _print_table(
        f"Test seasons {_seasons(TEST)} (trained on {_seasons(FINAL_TRAIN)}, MLP for {epochs} epochs)", final.reports
    )
    mlp = final.reports[MLP]
    base = next(report for name, report in final.reports.items() if name.startswith("base rate"))
    per_season = ", ".join(
        f"{season_short(season)} {evaluate(test[mask], final.probability[mask], final.base_rate)['log_loss']:.4f}"
        for season in TEST
        for mask in [(test[SEASON] == season).to_numpy()]
    )
    print(
        f"\nMLP preseason log loss {mlp['log_loss@0']:.4f} against the base rate's {base['log_loss@0']:.4f}; "
        f"MLP pooled log loss per test season: {per_season}"
    )
    seconds = final.seconds
    print(
        f"training time ({args.threads} threads): MLP final fit {final.trained.seconds:.1f} s wall, "
        f"{final.trained.cpu_seconds:.1f} s CPU ({epochs} epochs, {len(final_train):,} rows); selection fit "
        f"{selection_seconds:.1f} s wall; logistic regression "
        f"{seconds['logistic regression']:.1f} s; HistGradientBoosting {seconds['HistGradientBoosting']:.1f} s"
    )
    target = mlp["log_loss"] <= TARGET_LOG_LOSS and mlp["log_loss@0"] < base["log_loss@0"]
    print(
        f"target (pooled log loss <= {TARGET_LOG_LOSS} and preseason below the base rate): "
        f"{'met' if target else 'NOT met'} (pooled {mlp['log_loss']:.4f}, AUC {mlp['auc']:.4f})"
    )

    probability = final.probability
    with tempfile.TemporaryDirectory() as temporary:
        directory = args.export_dir or Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        exported = _check_export(final.trained.model, test, probability, directory)

    repeated = True
    if not args.no_repeat:
        again = fit_model(final_train, config, epochs=epochs)
        difference = float(np.max(np.abs(predict(again.model, test) - probability)))
        repeated = difference == 0.0
        print(
            f"reproducibility: same seed, second training ({again.seconds:.1f} s) -> max |difference| "
            f"{difference:.1e} ({'identical' if repeated else 'DIFFERENT'})"
        )
    return 0 if exported and repeated else 1


__all__ = ["FINAL_TRAIN", "SELECTION", "SELECTION_TRAIN", "TEST", "Comparison", "compare_models", "main"]


if __name__ == "__main__":
    sys.exit(main())
