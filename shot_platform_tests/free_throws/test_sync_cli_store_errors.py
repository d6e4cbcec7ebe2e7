"""`shot-platform sync free-throws` (a real process) when the store is busy or goes away (issue 13, item 14):
a second sync is told that one is running (one line, exit 1, both databases), and a PostgreSQL server
that stops answering mid-sync (a real TCP proxy on loopback, cut) is a one-line error; the next sync
resumes and ends with the same counts as a sync that was never interrupted."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.lock import sync_lock
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform_tests.league_provider import League, serving
from shot_platform_tests.service_process import BIN
from shot_platform_tests.stand_in_scorers import stand_in_load_check

CLI = str(BIN / "shot-platform")


def _home(tmp_path: Path) -> Path:
    """A home whose champion is never loaded (one season: nothing to predict), but must exist."""
    home = tmp_path / "home"
    stand_in = tmp_path / "stand-in"
    stand_in.mkdir()
    (stand_in / "saved_model.pb").write_bytes(b"never loaded")
    models = SavedModelStore(LocalBlobStore(home / "models"), "score_beater", load_check=stand_in_load_check)
    models.promote(models.save(stand_in, {}), "test")
    return home


def _sync(home: Path, url: str, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
    env |= {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_DATABASE_URL": database_url}
    return subprocess.run([CLI, "sync", "free-throws", "--scores-api", url], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def _league(games: int) -> League:
    league = League()
    for number in range(games):
        league.add(1_000 + number, 2012, [(f"P{number % 7}", number % 2), (f"P{number % 5}", 1)])
    return league


@pytest.mark.slow
def test_a_second_sync_process_is_told_one_is_running(database_url: str, tmp_path: Path) -> None:
    home = _home(tmp_path)
    engine = create_engine(database_url)
    with serving(_league(3)) as (url, _):
        with sync_lock(engine):  # another sync holds the store
            result = _sync(home, url, database_url)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: a free-throw sync is already running on this store (")
        assert line.endswith("wait for it to finish, then sync again")
        assert "3 games" in _sync(home, url, database_url).stdout  # once it is free, the sync runs
    engine.dispose()


@pytest.mark.slow
def test_two_sync_processes_started_together_on_a_fresh_database(database_url: str, tmp_path: Path) -> None:
    """No table yet: one creates the schema and syncs, the other is told a sync is running (no
    ``UniqueViolation`` on ``CREATE TABLE``, no traceback)."""
    home = _home(tmp_path)
    league = _league(3)
    league.before_box = lambda game_id: time.sleep(3) if game_id == 1_000 else None  # the first holds on
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOT_PLATFORM_")}
    env |= {"SHOT_PLATFORM_HOME": str(home), "SHOT_PLATFORM_DATABASE_URL": database_url}
    with serving(league) as (url, _):
        command = [CLI, "sync", "free-throws", "--scores-api", url]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        processes = [subprocess.Popen(command, env=env, **pipes) for _ in range(2)]
        results = sorted((p.wait(120), *p.communicate()) for p in processes)
    (ok, out, _), (refused, _, err) = results
    assert ok == 0 and "3 games" in out and "caught up" in out
    assert refused == 1 and "Traceback" not in err and "UniqueViolation" not in err, err
    assert err.strip().startswith("error: a free-throw sync is already running on this store")
    store = FreeThrowStore(database_url)
    assert sorted(store.load(ledger.processed_games)["game_id"]) == [1_000, 1_001, 1_002]
    store.dispose()


class _Proxy(socketserver.ThreadingTCPServer):
    """A TCP proxy to the PostgreSQL server; ``cut`` closes every connection and stops listening."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Pipe)

    def cut(self) -> None:
        self.socket.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()


class _Pipe(socketserver.BaseRequestHandler):
    server: _Proxy

    def handle(self) -> None:
        upstream = socket.create_connection(self.server.upstream, timeout=10)
        with self.server.lock:
            self.server.sockets += [self.request, upstream]
        pair = {self.request: upstream, upstream: self.request}
        with contextlib.suppress(OSError, ValueError):
            while True:
                ready, _, _ = select.select(list(pair), [], [], 1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)


@contextlib.contextmanager
def _proxy(url: str) -> Iterator[tuple[str, _Proxy]]:
    target = make_url(url)
    server = _Proxy((target.host or "127.0.0.1", target.port or 5432))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield target.set(port=server.server_address[1]).render_as_string(hide_password=False), server
    finally:
        server.shutdown()
        server.cut()


@pytest.mark.slow
def test_postgres_gone_mid_sync_is_one_line_and_the_next_sync_resumes(postgres_url: str, tmp_path: Path) -> None:
    home = _home(tmp_path)
    league = _league(250)
    with serving(league) as (url, _), _proxy(postgres_url) as (proxied, proxy):
        league.before_box = lambda game_id: proxy.cut() if game_id == 1_180 else None  # in the second batch
        result = _sync(home, url, proxied)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: the store stopped answering (") and "sync again to resume" in line
        league.before_box = lambda game_id: None
        resumed = _sync(home, url, postgres_url)
        assert resumed.returncode == 0 and "caught up" in resumed.stdout, resumed.stderr

        reference = FreeThrowStore(f"sqlite:///{tmp_path / 'reference.db'}")
        reference.create_schema()
        sync_free_throws(reference, None, ScoresApiClient(url, api_key=""), retrain=False)

    store = FreeThrowStore(postgres_url)
    processed = store.load(ledger.processed_games)
    assert 100 <= len(processed) - int(resumed.stdout.split(" games,")[0].split()[-1]) < 250  # the first kept some
    assert sorted(processed["game_id"]) == list(range(1_000, 1_250))
    key = ["game_id", "player"]
    mine = store.load(tables.free_throw_player_games)[[*key, "made", "attempted"]].sort_values(key, ignore_index=True)
    theirs = reference.load(tables.free_throw_player_games)[[*key, "made", "attempted"]]
    pd.testing.assert_frame_equal(mine, theirs.sort_values(key, ignore_index=True), check_dtype=False)
    store.dispose()
    reference.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://postgres@127.0.0.1:{port}/absent", "error: the store stopped answering ("),
        ("nonsense://nowhere", "error: cannot open the store: "),
    ],
    ids=["unreachable", "bad-url"],
)
def test_a_store_that_cannot_be_used_is_one_line(tmp_path: Path, url: str, expected: str) -> None:
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with serving(_league(1)) as (api, _):
        result = _sync(_home(tmp_path), api, url.format(port=port))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(expected) and "SHOT_PLATFORM_DATABASE_URL" in line
