"""Free-throw data in: generator speed, ingest throughput (SQLite and PostgreSQL), feature build.

    python benchmarks/free_throws.py [--data PATH] [--postgres URL]

Uses ../shared/data when present, else three synthetic seasons. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from shot_platform.core.scratch import temporary_database

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "free_throws_2006-07_2013-14.csv.gz"


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def bench_generate(folder: Path) -> Path:
    from shot_platform.free_throws.synthetic import generate_free_throws, write_free_throws

    frame, seconds = timed(lambda: generate_free_throws(seasons=3, seed=0))
    path, written = timed(lambda: write_free_throws(frame, folder / "synthetic.csv.gz"))
    print(f"generate 3 seasons: {len(frame):,} rows in {seconds:.1f} s (+ {written:.1f} s to write .csv.gz)")
    return path


def bench_store(url: str, path: Path) -> None:
    from shot_platform.free_throws.features.tables import rebuild_features
    from shot_platform.free_throws.ingest.events import ingest_free_throw_file
    from shot_platform.free_throws.store import FreeThrowStore

    store = FreeThrowStore(url)
    store.create_schema()
    backend = store.engine.dialect.name
    report, first = timed(lambda: ingest_free_throw_file(store, path))
    _, again = timed(lambda: ingest_free_throw_file(store, path))
    print(f"ingest [{backend}]: {report.rows_read:,} rows in {first:.1f} s = {report.rows_read / first:,.0f} rows/s")
    print(f"re-ingest [{backend}] (all duplicates): {again:.1f} s = {report.rows_read / again:,.0f} rows/s")
    (_, history), seconds = timed(lambda: rebuild_features(store))
    print(f"features [{backend}]: {len(history):,} point-in-time rows rebuilt and stored in {seconds:.1f} s")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REAL if REAL.exists() else None)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        synthetic = bench_generate(Path(folder))
        data = args.data or synthetic
        print(f"data: {data}")
        bench_store(f"sqlite:///{folder}/store.db", data)
        try:
            with temporary_database(args.postgres, "shot_platform_bench") as url:
                bench_store(url, data)
        except OperationalError as error:
            print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")


if __name__ == "__main__":
    main()
