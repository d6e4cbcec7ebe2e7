"""The Scores API replay server and client on loopback: start-up, paging, box scores, faults.

    python benchmarks/scores_api.py [--data PATH] [--games 1230]

Serves the real free-throw file (../shared/data) through `shot-platform scores-api serve` as a process,
then reads it with ScoresApiClient: every final game listed through the cursor, and the box scores of
the first N games one after the other (what a sync does per game), clean and with --error-rate 0.2.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import requests

from shot_platform.free_throws.scores_api import ReplayClient
from shot_platform.free_throws.scores_api.payloads import parse_box_score
from shot_platform.free_throws.scores_api.process import replay_server

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "free_throws_2006-07_2013-14.csv.gz"


def run(data: Path, games: int, **options) -> None:
    label = ", ".join(f"{key}={value}" for key, value in options.items()) or "clean"
    started = time.monotonic()
    with replay_server(data, release="all", **options) as url:
        startup = time.monotonic() - started
        client = ReplayClient(url, api_key="")
        started = time.monotonic()
        listed = list(client.final_games_after(None))
        listing = time.monotonic() - started

        ids = [game.id for game in listed[:games]]
        started = time.monotonic()
        for game_id in ids:
            client.box_score(game_id)
        box_scores = time.monotonic() - started

        bodies = []
        started = time.monotonic()
        for game_id in ids:
            bodies.append(requests.get(f"{url}/v1/games/{game_id}/free_throws", timeout=10).json())
        raw_http = time.monotonic() - started
        started = time.monotonic()
        for game_id, body in zip(ids, bodies, strict=True):
            if "data" in body:  # an injected 500 has no box score to parse
                parse_box_score(body, game_id)
        validation = time.monotonic() - started
        status = client.status()

    print(f"\n{label}")
    print(f"  start-up (load + index the file, until /livez):  {startup:.1f} s")
    print(f"  list {len(listed):,} final games ({-(-len(listed) // 100)} pages): {listing:.2f} s")
    print(
        f"  {len(ids):,} box scores in turn: {box_scores:.2f} s = {1000 * box_scores / len(ids):.1f} ms each "
        f"(raw HTTP {1000 * raw_http / len(ids):.1f} ms, validation {1000 * validation / len(ids):.2f} ms)"
    )
    print(f"  server counters: { ({k: status[k] for k in ('requests', 'injected_errors', 'rate_limited')}) }")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--games", type=int, default=1230, help="box scores read (a regular season is 1,230)")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data} not found: pass --data PATH (a Kaggle free-throws file)")
    run(args.data, args.games)
    run(args.data, args.games, error_rate=0.2, seed=1)


if __name__ == "__main__":
    main()
