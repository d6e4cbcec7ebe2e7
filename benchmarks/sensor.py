"""Retraining-sensor tick time with 100k and 1M stored shots, on SQLite and PostgreSQL.

    python benchmarks/sensor.py [--postgres URL] [--sizes 100000 1000000]

Rows are copied from one template shot inside the database (generate_series /
a recursive CTE), so filling a million rows takes seconds. The tick is the
real sensor evaluated through Dagster (build_sensor_context) with 150 shots
newer than the champion's watermark. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dagster import build_sensor_context, instance_for_test
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shot_platform.core.scratch import temporary_database
from shot_platform.shots.features.player import build_player_history
from shot_platform.shots.ingest.shots import ingest_shot_file
from shot_platform.shots.models.registry import shot_models_at
from shot_platform.shots.models.training import train_shot_model
from shot_platform.shots.resources import ShotModelStoreResource, ShotRetrainingResource, ShotStoreResource
from shot_platform.shots.sensors import retrain_on_new_shots
from shot_platform.shots.store import ShotStore
from shot_platform.shots.synthetic import generate_shots, write_shots

COLUMNS = [
    "game_id", "player_id", "shot_number", "matchup", "location", "w", "final_margin", "period", "game_clock",
    "shot_clock", "dribbles", "touch_time", "shot_dist", "pts_type", "shot_result", "closest_defender",
    "closest_defender_player_id", "close_def_dist", "fgm", "pts", "player_name", "game_date", "team", "opponent",
    "game_clock_s", "shot_dist_raw", "touch_time_raw", "cleaning_notes", "row_hash", "source", "ingested_at",
]  # fmt: skip
COPIED = ", ".join(c for c in COLUMNS if c not in ("game_id", "shot_number"))


def fill(store: ShotStore, rows: int) -> None:
    """Copy the first stored shot until the table holds ``rows`` rows (new keys per copy), then
    ANALYZE, as ingest and autovacuum would: stale statistics turn the count into a seq scan."""
    with store.engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM shots")).scalar_one()
        missing = rows - have
        if missing <= 0:
            return
        if store.engine.dialect.name == "postgresql":
            series = f"generate_series(1, {missing}) AS g(n)"
            conn.execute(
                text(
                    f"INSERT INTO shots (game_id, shot_number, {COPIED}) "
                    f"SELECT 90000000 + ({have} + g.n) / 1000, ({have} + g.n) % 1000 + 1, {COPIED} "
                    f"FROM {series}, (SELECT * FROM shots ORDER BY id LIMIT 1) AS t"
                )
            )
        else:
            conn.execute(
                text(
                    f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {missing}) "
                    f"INSERT INTO shots (game_id, shot_number, {COPIED}) "
                    f"SELECT 90000000 + ({have} + g.n) / 1000, ({have} + g.n) % 1000 + 1, {COPIED} "
                    "FROM g, (SELECT * FROM shots ORDER BY id LIMIT 1) AS t"
                )
            )
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE shots")


def bench(url: str, label: str, sizes: list[int], work: Path) -> None:
    store = ShotStore(url)
    store.create_schema()
    ingest_shot_file(store, write_shots(generate_shots(games=30, seed=1), work / f"{label}.csv"))
    shots = store.load_shots()
    models_dir = work / f"models_{label}"
    models = shot_models_at(models_dir)
    model = train_shot_model(shots, build_player_history(shots)).model
    resources = {
        "shot_store": ShotStoreResource(database_url=url),
        "shot_models": ShotModelStoreResource(location=str(models_dir)),
        "shot_retraining": ShotRetrainingResource(),
    }
    with instance_for_test() as instance:
        for size in sizes:
            started = time.perf_counter()
            fill(store, size)
            filled = time.perf_counter() - started
            latest = store.shot_summary()["max_id"]
            model.metadata["trained_through_shot_id"] = latest - 150  # 150 shots newer than the champion
            models.save(model)
            models.promote(model.version, "benchmark")
            ticks = []
            for _ in range(20):
                context = build_sensor_context(instance=instance, resources=resources)
                tick = time.perf_counter()
                result = retrain_on_new_shots(context)
                ticks.append(time.perf_counter() - tick)
            query = []
            for _ in range(20):
                tick = time.perf_counter()
                store.count_shots_after(latest - 150)
                query.append(time.perf_counter() - tick)
            print(
                f"{label:10} {size:>9,} shots (filled in {filled:5.1f} s): sensor tick p50 "
                f"{statistics.median(ticks) * 1000:6.1f} ms, max {max(ticks) * 1000:6.1f} ms; "
                f"count query p50 {statistics.median(query) * 1000:5.2f} ms -> {type(result).__name__}"
            )
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench(f"sqlite:///{work / 'store.db'}", "sqlite", args.sizes, work)
        try:
            with temporary_database(args.postgres, "shot_platform_bench") as url:
                bench(url, "postgresql", args.sizes, work)
        except OperationalError as error:
            print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")


if __name__ == "__main__":
    main()
