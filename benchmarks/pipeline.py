"""Ingest throughput and full-materialise time on the real shot logs.

    python benchmarks/pipeline.py [--data PATH] [--postgres URL]

Uses ../shared/data when present, else a synthetic season of the same size.
Prints figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from shot_platform.core.scratch import temporary_database

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "shot_logs_2014-10_2015-01.csv.gz"


def timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    return value, elapsed


def bench_ingest(url: str, path: Path) -> None:
    from shot_platform.shots.ingest.shots import ingest_shot_file
    from shot_platform.shots.store import ShotStore

    store = ShotStore(url)
    store.create_schema()
    report, first = timed("ingest", lambda: ingest_shot_file(store, path))
    _, again = timed("re-ingest", lambda: ingest_shot_file(store, path))
    backend = store.engine.dialect.name
    print(f"ingest [{backend}]: {report.rows_read:,} rows in {first:.1f} s = {report.rows_read / first:,.0f} rows/s")
    print(f"re-ingest [{backend}] (all duplicates): {again:.1f} s = {report.rows_read / again:,.0f} rows/s")
    store.dispose()


def bench_materialise(home: Path) -> None:
    os.environ["SHOT_PLATFORM_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ.pop("SHOT_PLATFORM_DATABASE_URL", None)
    from shot_platform.cli.materialize import run_assets

    result, seconds = timed("materialise", run_assets)
    if not result.success:
        sys.exit("materialisation failed")
    model = next(e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "shot_model")
    metadata = {k: v.value for k, v in model.materialization.metadata.items()}
    print(f"full materialise (5 assets + checks, SQLite): {seconds:.1f} s")
    print(
        f"  model {metadata['candidate']}: AUC {metadata['auc']:.4f}, log loss {metadata['log_loss']:.4f} "
        f"on {metadata['test_dates']}"
    )
    _, again = timed("materialise again", run_assets)
    print(f"full materialise again (prediction cache warm): {again:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REAL if REAL.exists() else None)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        data = args.data
        if data is None:
            from shot_platform.shots.synthetic import generate_shots, write_shots

            data = write_shots(generate_shots(games=710, seed=0), home / "synthetic.csv.gz")
            print("real data absent: using a synthetic season of 710 games")
        print(f"data: {data}")
        bench_ingest(f"sqlite:///{home / 'store.db'}", data)
        bench_materialise(home)
        try:
            with temporary_database(args.postgres, "shot_platform_bench") as url:
                bench_ingest(url, data)
        except OperationalError as error:
            print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")


if __name__ == "__main__":
    main()
