"""The Scores API replay server as a real process on loopback, read through ScoresApiClient.

The server is started with the CLI (`shot-platform scores-api serve`) on a free port; what it answers
is checked against the file, computed independently with pandas.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from click.testing import CliRunner

from shot_platform.cli import cli
from shot_platform.free_throws.scores_api import (
    GameNotFinal,
    ReplayClient,
    ScoresApiAuthError,
    ScoresApiRequestError,
    UnknownGame,
)
from shot_platform.free_throws.scores_api.payloads import PLAY_COLUMNS
from shot_platform.free_throws.scores_api.process import replay_server
from shot_platform_tests.scores_api_support import (
    expected_box_scores,
    expected_games,
    free_throw_rows,
    write_free_throws,
)
from shot_platform_tests.service_process import wait_for


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return free_throw_rows()


@pytest.fixture(scope="module")
def data_file(rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_free_throws(rows, tmp_path_factory.mktemp("scores_api") / "free_throws.csv.gz")


@pytest.fixture(scope="module")
def games(rows: pd.DataFrame) -> pd.DataFrame:
    return expected_games(rows)


@pytest.fixture(scope="module")
def all_final_url(data_file: Path) -> str:
    with replay_server(data_file, release="all") as url:
        yield url


def fast_client(url: str, **options: Any) -> ReplayClient:
    """Small pages (many cursor steps) and short backoff so fault tests stay quick."""
    return ReplayClient(
        url, api_key=options.pop("api_key", ""), per_page=options.pop("per_page", 7), backoff_factor=0.01, **options
    )


def snapshot(client: ReplayClient) -> dict[str, Any]:
    """Everything the API says: seasons, every game, every final game's box score (without the times
    the results were published: two server processes publish them at different times)."""
    every_game = list(client.games())
    return {
        "seasons": [season.model_dump() for season in client.seasons()],
        "games": [game.model_dump(exclude={"updated_at"}) for game in every_game],
        "box_scores": {
            game.id: client.box_score(game.id).result_dump() for game in every_game if game.status == "final"
        },
    }


def test_paging_returns_every_game_once_in_order(all_final_url: str, games: pd.DataFrame) -> None:
    client = fast_client(all_final_url, per_page=4)
    listed = list(client.final_games_after(None))
    assert [game.id for game in listed] == games.id.tolist()  # once each, season by season, by id
    assert len(listed) > 4 * 10  # many pages were followed
    assert all(game.status == "final" for game in listed)
    first = games.iloc[0]
    visitor, home = first.game.split(" - ")
    visitor_points, home_points = (int(part) for part in first.end_result.split(" - "))
    assert all(game.updated_at is not None and game.updated_at.utcoffset() == dt.timedelta(0) for game in listed)
    assert listed[0].model_dump(exclude={"updated_at"}) == {
        "id": int(first.id),
        "season": int(first.season_year),
        "postseason": first.playoffs == "playoffs",
        "all_star": False,
        "status": "final",
        "home_team": home,
        "visitor_team": visitor,
        "home_team_score": home_points,
        "visitor_team_score": visitor_points,
    }

    all_star = games.game == "EAST - WEST"
    assert [game.id for game in listed if game.all_star] == games.id[all_star].tolist() and all_star.sum() == 1
    seasons = client.seasons()
    assert [season.season for season in seasons] == sorted(games.season_year.unique().tolist())
    for season in seasons:
        of_season = games[games.season_year == season.season]
        in_season = all_star[of_season.index]
        assert season.name == of_season.season.iloc[0]
        assert season.regular_season_games == ((of_season.playoffs == "regular") & ~in_season).sum()
        assert season.all_star_games == in_season.sum()
        assert season.postseason_games == (of_season.playoffs == "playoffs").sum()
        assert season.final_regular_season_games == season.regular_season_games
        schedule = client.schedule(season.season)
        assert [game.id for game in schedule] == of_season.id.tolist()
        not_postseason = list(client.games(season=season.season, postseason=False))
        assert [game.id for game in not_postseason] == of_season.id[of_season.playoffs == "regular"].tolist()

    middle = listed[len(listed) // 2]
    assert [game.id for game in client.final_games_after(middle.id)] == games.id.tolist()[len(listed) // 2 + 1 :]
    assert list(client.final_games_after(listed[-1].id)) == []


def test_box_scores_and_plays_are_the_files(all_final_url: str, rows: pd.DataFrame, games: pd.DataFrame) -> None:
    client = fast_client(all_final_url)
    expected = expected_box_scores(rows)
    for game_id in games.id:
        box = client.box_score(int(game_id))
        assert box.game.id == game_id and box.game.status == "final"
        counts = {line.player: (line.free_throws_attempted, line.free_throws_made) for line in box.players}
        assert counts == expected[game_id]
        in_file = rows[rows.game_id == str(game_id)][list(PLAY_COLUMNS)].to_dict("records")
        assert box.rows() == in_file  # every column's text, in the file's order


def test_unknown_game_and_bad_queries_are_clear(all_final_url: str, games: pd.DataFrame) -> None:
    client = fast_client(all_final_url)
    missing = int(games.id.max()) + 1
    with pytest.raises(UnknownGame, match=str(missing)):
        client.box_score(missing)
    with pytest.raises(UnknownGame):
        client.game(missing)
    with pytest.raises(UnknownGame):
        list(client.final_games_after(missing))
    with pytest.raises(ScoresApiRequestError, match="no season 1999"):
        client.schedule(1999)
    answer = requests.get(f"{all_final_url}/v1/games", params={"per_page": 101}, timeout=5)
    assert answer.status_code == 400 and "per_page must be in 1..100" in answer.json()["error"]
    answer = requests.get(f"{all_final_url}/v1/games", params={"cursor": "abc"}, timeout=5)
    assert answer.status_code == 400 and "cursor must be an integer" in answer.json()["error"]


@pytest.mark.slow
def test_error_rate_and_rate_limit_give_the_clean_runs_results(all_final_url: str, data_file: Path) -> None:
    clean = snapshot(fast_client(all_final_url))
    with replay_server(data_file, release="all", error_rate=0.2, seed=11) as url:
        client = fast_client(url)
        assert snapshot(client) == clean
        status = client.status()
        assert status["injected_errors"] >= 5, status  # the faults really happened
    # 10 requests/s is far below what the client sends even on a loaded machine (~250/s idle), so the
    # ~60 requests of a snapshot meet 429s; each one sleeps the server's Retry-After (1 s).
    with replay_server(data_file, release="all", rate_limit=10) as url:
        client = fast_client(url)
        started = time.monotonic()
        assert snapshot(client) == clean
        status = client.status()
        assert status["rate_limited"] >= 1, status
        # Retry-After was honoured: each 429 was followed by a 1 s sleep (retrying after the client's own
        # 0.01 s backoff instead would have met hundreds of 429s).
        assert status["rate_limited"] <= time.monotonic() - started + 1, status


@pytest.mark.slow
def test_results_are_hidden_until_released(data_file: Path, games: pd.DataFrame) -> None:
    ids = games.id.tolist()
    first_season = int((games.season_year == games.season_year.min()).sum())
    with replay_server(data_file, release=first_season - 2) as url:
        client = fast_client(url)
        assert [game.id for game in client.final_games_after(None)] == ids[: first_season - 2]
        schedule = list(client.games())
        assert [game.id for game in schedule] == ids  # the whole schedule is public
        assert [game.status for game in schedule] == ["final"] * (first_season - 2) + ["scheduled"] * (
            len(ids) - first_season + 2
        )
        hidden = schedule[first_season - 2]
        assert hidden.home_team_score is None and hidden.visitor_team_score is None
        with pytest.raises(GameNotFinal):
            client.box_score(hidden.id)
        assert [game.id for game in client.games(status="scheduled")] == ids[first_season - 2 :]

        released = client.advance(4)  # crosses into the next season
        assert [game.id for game in released] == ids[first_season - 2 : first_season + 2]
        assert all(game.status == "final" and game.home_team_score is not None for game in released)
        assert [game.id for game in client.final_games_after(ids[first_season - 3])] == [g.id for g in released]
        assert client.box_score(hidden.id).game.status == "final"
        seasons = client.seasons()
        finals = [s.final_regular_season_games + s.final_postseason_games + s.final_all_star_games for s in seasons]
        assert finals == [first_season, 2]

        assert len(client.advance(10_000)) == len(ids) - first_season - 2  # stops at the end
        assert client.advance(1) == []
        assert client.status()["final_games"] == len(ids)


@pytest.mark.slow
def test_games_per_second_releases_on_a_timer(data_file: Path, games: pd.DataFrame) -> None:
    ids = games.id.tolist()
    with replay_server(data_file, release=0, games_per_second=5) as url:  # 42 games: about 8 s
        client = fast_client(url)
        counts: list[int] = []

        def three_counts_seen() -> bool:
            listed = [game.id for game in client.final_games_after(None)]
            assert listed == ids[: len(listed)]  # released in order
            counts.append(len(listed))
            return len(set(counts)) >= 3

        wait_for(three_counts_seen, timeout=20)
        assert counts == sorted(counts) and counts[-1] < len(ids)  # growing with time, not all at once
        assert counts[-1] <= client.status()["final_games"]


@pytest.mark.slow
def test_api_key_is_required_when_set(data_file: Path) -> None:
    with replay_server(data_file, release="all", api_key="s3cret") as url:
        assert requests.get(f"{url}/livez", timeout=5).status_code == 200  # health needs no key
        for key in ("", "wrong"):
            with pytest.raises(ScoresApiAuthError, match="SHOT_PLATFORM_SCORES_API_KEY"):
                fast_client(url, api_key=key).seasons()
            with pytest.raises(ScoresApiAuthError):
                fast_client(url, api_key=key).advance(1)
        answer = requests.get(f"{url}/v1/seasons", timeout=5)
        assert answer.status_code == 401 and "Authorization" in answer.json()["error"]
        assert fast_client(url, api_key="s3cret").seasons()
        assert requests.get(f"{url}/v1/seasons", headers={"Authorization": "Bearer s3cret"}, timeout=5).ok


def test_cli_refuses_files_it_cannot_serve(tmp_path: Path, rows: pd.DataFrame) -> None:
    runner = CliRunner()

    def serve(path: Path, *extra: str) -> str:
        result = runner.invoke(cli, ["scores-api", "serve", "--data", str(path), "--port", "5449", *extra])
        assert result.exit_code != 0
        return result.output

    assert "no such file" in serve(tmp_path / "missing.csv")
    (tmp_path / "shots.csv").write_text("GAME_ID,SHOT_DIST\n1,2.0\n")
    assert "not the Kaggle free-throws header: missing end_result" in serve(tmp_path / "shots.csv")
    (tmp_path / "binary.csv.gz").write_bytes(b"\x1f\x8b\x08garbage")
    assert "not a CSV or gzip-compressed CSV" in serve(tmp_path / "binary.csv.gz")

    reused = rows.copy()
    other_season = reused.season == reused.season.iloc[-1]
    reused.loc[other_season, "game_id"] = reused.loc[~other_season, "game_id"].iloc[0]
    output = serve(write_free_throws(reused, tmp_path / "reused.csv"))
    assert "has 2 values of season" in output and "used in one season only" in output

    broken = rows.copy()
    broken.loc[5, "game_id"] = "12a"
    assert "line 7: game_id is not a whole number" in serve(write_free_throws(broken, tmp_path / "broken.csv"))

    good = write_free_throws(rows, tmp_path / "good.csv")
    assert "the file has only" in serve(good, "--release", "100000")
    assert "neither 'all' nor a number" in serve(good, "--release", "some")
    assert "--error-rate" in serve(good, "--error-rate", "1.5")


@pytest.mark.real_data
@pytest.mark.slow
def test_the_real_file_is_served_whole_and_in_order() -> None:
    from shot_platform_tests.conftest import SHARED_DATA

    path = SHARED_DATA / "free_throws_2006-07_2013-14.csv.gz"
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set SHOT_PLATFORM_SHARED_DATA to its folder)")
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    games = expected_games(rows)
    assert games.id.is_unique  # game_id is unique across seasons in this file: the API's game id
    with replay_server(path, release="all") as url:
        client = ReplayClient(url, api_key="")
        started = time.monotonic()
        listed = [game.id for game in client.final_games_after(None)]
        paging_seconds = time.monotonic() - started
        assert listed == games.id.tolist() and len(listed) == 10_252
        assert paging_seconds < 20, paging_seconds  # 103 pages; about 0.4 s measured
        seasons = client.seasons()
        assert [(s.name, s.regular_season_games) for s in seasons][5] == ("2011 - 2012", 990)  # the 66-game season
        assert [s.all_star_games for s in seasons] == [1, 1, 1, 1, 1, 1, 0, 0]  # stored as regular until 2011-12
        assert sum(s.regular_season_games + s.postseason_games + s.all_star_games for s in seasons) == 10_252
        expected = expected_box_scores(rows[rows.game_id.isin([str(i) for i in listed[::500]])])
        for game_id in listed[::500]:
            box = client.box_score(game_id)
            assert {p.player: (p.free_throws_attempted, p.free_throws_made) for p in box.players} == expected[game_id]
