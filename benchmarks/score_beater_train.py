"""Training time of the shipped score_beater MLP on the real data, the way the platform trains it.

    python benchmarks/score_beater_train.py [--data PATH] [--through 2011] [--export DIR]

Builds the training set of the seasons up to ``--through`` (default 2007-08..2011-12, the reference
split) from the real file, then runs ``training.keras_trainer``: a child process that chooses the
epochs on the latest season (a fit early-stopped on it), refits on every season for that many epochs
and exports the SavedModel (to ``--export`` if given, e.g. to feed ``benchmarks/score_beater_serve.py
--saved-model``). Prints the row counts, the wall time of each step and the final fit's CPU time.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shot_platform.free_throws.counts import build_counts, load_events
from shot_platform.free_throws.features.history import feature_seasons
from shot_platform.free_throws.labels import beat_labels
from shot_platform.free_throws.training import keras_trainer, training_set

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "free_throws_2006-07_2013-14.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--through", type=int, default=2011, help="last training season (start year)")
    parser.add_argument("--export", type=Path, default=None, help="keep the SavedModel in this directory")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"error: {args.data} not found; pass --data PATH to the Kaggle free-throws file")

    started = time.perf_counter()
    counts = build_counts(load_events(args.data))
    seasons = [season for season in feature_seasons(counts) if season <= args.through]
    data = training_set(counts, beat_labels(counts.totals), seasons)
    prepared = time.perf_counter() - started
    print(f"{data.describe()}; {len(data.selection_train):,} rows for the epoch choice; prepared in {prepared:.1f} s")

    with tempfile.TemporaryDirectory() as directory:
        path = args.export or Path(directory) / "score_beater"
        started = time.perf_counter()
        info = keras_trainer(data, path)
        wall = time.perf_counter() - started
    print(
        f"keras_trainer: {wall:.1f} s wall in all (child process start, TensorFlow import, both fits, export); "
        f"epoch choice fit {info['selection_fit_seconds']} s, final fit {info['final_fit_seconds']} s wall and "
        f"{info['final_fit_cpu_seconds']} s CPU for {info['epochs']} epochs of {info['train_rows']:,} rows "
        f"(2 threads, {os.cpu_count()} cores on this machine)"
    )
    if args.export:
        print(f"SavedModel: {args.export}")


if __name__ == "__main__":
    main()
