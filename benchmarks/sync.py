"""A real season replayed through the sync engine, on SQLite and on PostgreSQL; and the live metrics
of replayed seasons.

    python benchmarks/sync.py [--data PATH] [--season 2012] [--backends sqlite,postgresql]
                              [--live 2012,2013] [--train-through 2011]

1. Trains score_beater (the shipped MLP, ``flow.retrain.keras_trainer``) on the labelled seasons up
   to ``--train-through`` of the real file (2007-08..2011-12 by default) and stores it as version 1.
2. For each backend: serves the season before ``--season`` and ``--season`` itself from the replay
   server (a child process on loopback), syncs the previous season (history, nobody to predict), then
   times the sync of ``--season``: games/s, predictions/s, cache hit rate, seconds in the model, the
   store, HTTP and the rest. Retraining is off (it is not part of the target).
3. Replays ``--live`` seasons (with the two seasons before the first as history) and reports the served
   predictions' pooled log loss and AUC at 0/25/50/75% of each season against the labels the flow
   collected.

Prints figures; asserts nothing. The machine has 2 cores shared with the replay server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.scratch import temporary_database
from shot_platform.free_throws.counts import build_counts
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, score_report
from shot_platform.free_throws.features.history import feature_seasons
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.inputs import games_at_fractions
from shot_platform.free_throws.labels import BEAT, beat_labels
from shot_platform.free_throws.schema import season_label, season_short
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.training import keras_trainer, training_set

SHARED = Path(os.environ.get("SHOT_PLATFORM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
DATA = SHARED / "free_throws_2006-07_2013-14.csv.gz"
PG_ADMIN = os.environ.get("SHOT_PLATFORM_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def train_model(events: pd.DataFrame, through: int, models: SavedModelStore) -> str:
    counts = build_counts(events)
    seasons = [season for season in feature_seasons(counts) if season <= through]
    data = training_set(counts, beat_labels(counts.totals), seasons)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        info = keras_trainer(data, Path(directory) / "model")
        version = models.save(Path(directory) / "model", {"train_seasons": seasons, **info})
    models.promote(version, f"benchmark: trained on {season_short(seasons[0])}..{season_short(seasons[-1])}")
    print(f"model {version}: trained on {data.describe()} in {time.perf_counter() - started:.0f} s")
    return version


@contextlib.contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'store.db'}"
    else:
        with temporary_database(PG_ADMIN, "shot_platform_bench") as url:
            yield url


def season_file(events: pd.DataFrame, seasons: list[int], directory: Path) -> Path:
    path = directory / f"seasons-{'-'.join(map(str, seasons))}.csv"
    events[events["season"].isin([season_label(s) for s in seasons])].to_csv(path, index=False)
    return path


def games_of(events: pd.DataFrame, season: int) -> int:
    return int(events.loc[events["season"] == season_label(season), "game_id"].nunique())


def timed_season(events: pd.DataFrame, season: int, backend: str, models: SavedModelStore, work: Path) -> None:
    path = season_file(events, [season - 1, season], work)
    with database(backend, work) as url, replay_server(path, release="all") as api:
        store = FreeThrowStore(url)
        client = ScoresApiClient(api)
        history = sync_free_throws(store, models, client, max_games=games_of(events, season - 1), retrain=False)
        started = time.perf_counter()
        report = sync_free_throws(store, models, client, retrain=False)
        wall = time.perf_counter() - started
        predictions = report.predictions_computed + report.predictions_reused
        print(
            f"{backend:10s} {season_short(season)}: {report.games_processed} games in {wall:.1f} s "
            f"({report.games_processed / wall:.0f} games/s, {predictions / wall:,.0f} predictions/s, "
            f"{predictions:,} predictions, cache hit rate {report.cache_hit_rate:.1%}); seconds: "
            + ", ".join(f"{name} {value:.1f}" for name, value in report.seconds.items())
            + f" [history season {season_short(season - 1)}: {history.games_processed} games, "
            f"{sum(history.seconds.values()):.1f} s]"
        )
        # The same season again: every game is in the ledger, so nothing is fetched or predicted.
        again = sync_free_throws(store, models, client, retrain=False)
        print(f"{backend:10s} a second sync: {again.games_processed} games, {again.predictions_computed} predicted")
        store.dispose()


def live_metrics(events: pd.DataFrame, seasons: list[int], models: SavedModelStore, work: Path) -> None:
    # Two seasons of history: the model's inputs reach back to the season before last.
    path = season_file(events, [seasons[0] - 2, seasons[0] - 1, *seasons], work)
    with database("sqlite", work / "live") as url, replay_server(path, release="all") as api:
        store = FreeThrowStore(url)
        started = time.perf_counter()
        report = sync_free_throws(store, models, ScoresApiClient(api), retrain=False)
        print(f"live replay of {[season_short(s) for s in seasons]}: {report.summary()} in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        predictions = store.load_predictions()
        labels = store.load(tables.free_throw_labels)
        schedule = store.load(tables.free_throw_schedule).groupby("season").size()
        pooled = []
        for season in seasons:
            points = games_at_fractions(int(schedule.loc[season]), EVAL_FRACTIONS)
            fraction = dict(zip(points, EVAL_FRACTIONS, strict=True))
            rows = predictions[(predictions["season"] == season) & predictions["games_played"].isin(points)]
            rows = rows.merge(labels[["season", "player", BEAT]], on=["season", "player"])
            rows["fraction"] = rows["games_played"].map(fraction)
            base_rate = float(labels.loc[labels["season"] < season, BEAT].mean()) if season > seasons[0] else 0.5
            result = score_report(rows[BEAT].to_numpy(), rows["probability"].to_numpy(), rows["fraction"], base_rate)
            pooled.append(rows)
            by_fraction = " ".join(f"{f:.0%}:{result[f'log_loss@{f:g}']:.3f}" for f in EVAL_FRACTIONS)
            print(
                f"{season_short(season)}: {len(rows)} rows, log loss {result['log_loss']:.4f}, "
                f"AUC {result['auc']:.4f}, Brier {np.mean((rows['probability'] - rows[BEAT]) ** 2):.4f} "
                f"(log loss by share {by_fraction}; beat rate {rows[BEAT].mean():.3f})"
            )
        rows = pd.concat(pooled, ignore_index=True)
        result = score_report(rows[BEAT].to_numpy(), rows["probability"].to_numpy(), rows["fraction"], 0.5)
        print(f"pooled: {len(rows)} rows, log loss {result['log_loss']:.4f}, AUC {result['auc']:.4f}")
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--season", type=int, default=2012)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--live", default="2012,2013")
    parser.add_argument("--train-through", type=int, default=2011)
    args = parser.parse_args()
    events = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        models = SavedModelStore(LocalBlobStore(work / "models"), "score_beater")
        typed = events.assign(game_id=events["game_id"].astype(np.int64), shot_made=events["shot_made"].astype(int))
        train_model(typed, args.train_through, models)
        for backend in filter(None, args.backends.split(",")):
            (work / backend).mkdir()
            timed_season(events, args.season, backend, models, work / backend)
        if args.live:
            (work / "live").mkdir()
            live_metrics(events, [int(s) for s in args.live.split(",")], models, work)


if __name__ == "__main__":
    main()
