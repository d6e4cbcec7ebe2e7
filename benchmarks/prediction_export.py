"""`shot-platform predictions score-beater` on a store shaped like the real history's predictions.

    python benchmarks/prediction_export.py [--data PATH] [--home DIR]

``--home`` keeps the filled store there and reuses it on the next run (filling takes minutes).

Fills a SQLite store with one prediction per player of last season at every games_played of each
season of the real free-throw file (the rows a full sync of the history stores), then runs the
command as a child process, once per output and filter, and prints its wall time and peak memory
(the child's maximum resident set). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shot_platform.free_throws.store import FreeThrowStore

SHARED = Path(os.environ.get("SHOT_PLATFORM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
DATA = SHARED / "free_throws_2006-07_2013-14.csv.gz"
CLI = Path(sys.executable).parent / "shot-platform"


def fill(store: FreeThrowStore, data: Path) -> int:
    events = pd.read_csv(data, usecols=["season", "player", "game_id", "playoffs"])
    events["start"] = events["season"].str[:4].astype(int)
    players = events.groupby("start")["player"].unique()
    games = events[events["playoffs"] == "regular"].groupby("start")["game_id"].nunique()
    made_at = dt.datetime(2026, 1, 1).isoformat(sep=" ")
    total = 0
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for season in sorted(games.index)[1:]:
            last = players[season - 1]
            rows = (
                (int(season), str(player), played, "1", "0123456789abcdef", 0.5 + (played % 7) / 100, made_at)
                for played in range(int(games[season]) + 1)
                for player in last
            )
            cursor.executemany(
                "INSERT INTO score_beater_predictions (season, player, games_played, model_version, input_hash,"
                " probability, made_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            total += len(last) * (int(games[season]) + 1)
        raw.commit()
    finally:
        raw.close()
    return total


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of the command as a child process."""
    started = time.perf_counter()
    process = subprocess.Popen([str(CLI), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--home", type=Path, default=None)
    options = parser.parse_args()
    with contextlib.ExitStack() as stack:
        home = str(options.home or stack.enter_context(tempfile.TemporaryDirectory()))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
        env |= {"SHOT_PLATFORM_HOME": home, "DAGSTER_HOME": f"{home}/dagster"}
        Path(home).mkdir(parents=True, exist_ok=True)
        store = FreeThrowStore(f"sqlite:///{home}/store.db")
        store.create_schema()
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM score_beater_predictions")).scalar_one()
        if not rows:
            started = time.perf_counter()
            rows = fill(store, options.data)
            print(f"store filled in {time.perf_counter() - started:.0f} s")
        print(f"{rows:,} predictions stored; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, extra in [
            ("every prediction, CSV", ["-o", f"{home}/all.csv"]),
            ("every prediction, Parquet", ["-o", f"{home}/all.parquet"]),
            ("--latest, CSV", ["-o", f"{home}/latest.csv", "--latest"]),
            ("--season 2012, Parquet", ["-o", f"{home}/season.parquet", "--season", "2012"]),
            ("--player 'LeBron James', CSV", ["-o", f"{home}/player.csv", "--player", "LeBron James"]),
        ]:
            seconds, peak = run(["predictions", "score-beater", *extra], env)
            size = Path(extra[1]).stat().st_size / 1e6
            print(f"| {name} | {seconds:.1f} s | {peak:.0f} MB | {size:.1f} MB |")


if __name__ == "__main__":
    main()
