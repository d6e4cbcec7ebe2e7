"""A free-throw file (Kaggle schema, .csv or .csv.gz) indexed for the replay server.

Loaded once with pandas; everything a request needs is precomputed here (games in release order,
their JSON objects, per-player counts, row offsets of each game's plays), so a request does a
binary search and slices at most a page.

**Game ids.** The API's game id is the file's ``game_id``. In the real file (2006-07 to 2013-14) it is
unique across seasons: 10,252 ids, none in two seasons (ESPN ids, which encode the date). Loading
checks it: a file that reuses a ``game_id`` in another season is refused with the lines, since the
id alone would then be ambiguous.

**All-Star games.** The file stores each season's All-Star game ("EAST - WEST") as a regular-season
game; the API lists it with ``"all_star": true`` and leaves it out of the season's regular-season
counts (``free_throws.schema.ALL_STAR_TEAMS``, the domain's one rule for it).

**Order.** Games are ordered season by season, by ``game_id`` within a season; that is the schedule's
order and the order in which the replay releases results. A game's ``game`` text is "VISITOR -
HOME" and ``end_result`` "visitor points - home points" (ESPN's convention; e.g. 261031013, the
Lakers' 114-106 home win over Phoenix on 31 Oct 2006, is "PHX - LAL", "106 - 114").
"""

from __future__ import annotations

import bisect
import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.free_throws.schema import ALL_STAR_TEAMS
from shot_platform.free_throws.scores_api.payloads import PLAY_COLUMNS

SEASON_PATTERN = r"(\d{4}) - (\d{4})"
TEAMS_PATTERN = r"(\S+) - (\S+)"
SCORE_PATTERN = r"(\d+) - (\d+)"
PLAYOFFS_VALUES = {"regular": False, "playoffs": True}
MAX_GAME_ID_DIGITS = 18  # fits a BIGINT


class DatasetError(ValueError):
    """The file cannot be served; the message says which lines and why."""


@dataclass
class SeasonIndex:
    season: int
    name: str
    first: int  # sequence of its first game
    end: int  # one past its last game
    regular: np.ndarray  # sequences of its regular-season games (All-Star game excluded)
    postseason: np.ndarray
    all_star: np.ndarray


@dataclass
class ReplayDataset:
    """Games in release order (sequence 0..n-1) and what the API answers about each."""

    source: str
    game_ids: np.ndarray  # int64, by sequence
    postseason: np.ndarray  # bool, by sequence
    all_star: np.ndarray  # bool, by sequence
    seasons: list[SeasonIndex]
    scheduled: list[dict[str, Any]]  # each game's JSON while scheduled
    final: list[dict[str, Any]]  # ... and once final
    plays: pd.DataFrame  # the file's rows, grouped by game in release order, file order within a game
    play_offsets: np.ndarray  # plays of sequence i are rows play_offsets[i]:play_offsets[i+1]
    box_players: list[list[dict[str, Any]]]
    sequence_of: dict[int, int] = field(default_factory=dict)
    _season_starts: list[int] = field(default_factory=list)
    _columns: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._columns = [self.plays[column].to_numpy(dtype=object) for column in PLAY_COLUMNS]
        self.sequence_of = {int(game_id): index for index, game_id in enumerate(self.game_ids)}
        self._season_starts = [season.season for season in self.seasons]

    @property
    def total(self) -> int:
        return len(self.game_ids)

    def season(self, start_year: int) -> SeasonIndex | None:
        index = bisect.bisect_left(self._season_starts, start_year)
        if index < len(self.seasons) and self.seasons[index].season == start_year:
            return self.seasons[index]
        return None

    def play_rows(self, sequence: int) -> list[dict[str, str]]:
        # Zipping object arrays (references to the frame's strings): ~100x faster than to_dict("records").
        start, end = self.play_offsets[sequence], self.play_offsets[sequence + 1]
        columns = [values[start:end] for values in self._columns]
        return [dict(zip(PLAY_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def read_free_throw_file(path: str | Path) -> pd.DataFrame:
    """The file as text, exactly as written (no type guessing, empty cells stay empty strings)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file; pass a Kaggle free-throws file (.csv or .csv.gz) with --data")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        EOFError,
        gzip.BadGzipFile,
        zlib.error,
    ) as error:
        raise DatasetError(f"{path}: not a CSV or gzip-compressed CSV file ({error})") from None
    missing = [column for column in PLAY_COLUMNS if column not in frame.columns]
    if missing:
        raise DatasetError(
            f"{path}: not the Kaggle free-throws header: missing {', '.join(missing)} "
            f"(expected {', '.join(PLAY_COLUMNS)})"
        )
    return frame[list(PLAY_COLUMNS)]


def _problems(frame: pd.DataFrame) -> list[str]:
    """What makes rows unservable: the server must place every row in exactly one game."""
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)  # line 1 is the header
    checks = {
        f"game_id is not a whole number of at most {MAX_GAME_ID_DIGITS} digits": ~frame.game_id.str.fullmatch(
            rf"\d{{1,{MAX_GAME_ID_DIGITS}}}"
        ),
        "season is not 'YYYY - YYYY'": ~frame.season.str.fullmatch(SEASON_PATTERN),
        "playoffs is not 'regular' or 'playoffs'": ~frame.playoffs.isin(list(PLAYOFFS_VALUES)),
        "game is not 'VISITOR - HOME'": ~frame.game.str.fullmatch(TEAMS_PATTERN),
    }
    problems = [f"line {line}: {reason}" for reason, bad in checks.items() for line in lines[bad].head(3).tolist()]
    if problems:
        return problems
    key = frame.game_id.astype(np.int64)  # "0123" and "123" are one game
    per_game = frame.groupby(key)[["season", "playoffs", "game", "end_result"]].nunique()
    for column in per_game.columns:
        for game_id in per_game.index[per_game[column] > 1][:3]:
            values = sorted(frame.loc[key == game_id, column].unique())
            problems.append(f"game_id {game_id} has {len(values)} values of {column}: {', '.join(values[:4])}")
    return problems


def load_dataset(path: str | Path) -> ReplayDataset:
    """Read and index a free-throw file; ``DatasetError`` says why a file cannot be served."""
    return index_frame(read_free_throw_file(path), str(path))


def index_frame(frame: pd.DataFrame, path: str) -> ReplayDataset:
    """Index rows of the Kaggle schema (all text); ``DatasetError`` names the lines that cannot be served."""
    if frame.empty:
        raise DatasetError(f"{path}: the file has a header but no rows")
    problems = _problems(frame)
    if problems:
        raise DatasetError(
            f"{path}: cannot be served: every row needs a game_id, a season, playoffs and teams, "
            "consistent within a game, and a game_id used in one season only:\n  " + "\n  ".join(problems[:10])
        )

    sequence_key = frame.season.str.slice(0, 4).astype(np.int64) * 10**MAX_GAME_ID_DIGITS  # season, then id
    game_key = frame.game_id.astype(np.int64)
    order = np.lexsort((game_key.to_numpy(), sequence_key.to_numpy()))  # stable: file order within a game
    plays = frame.iloc[order].reset_index(drop=True)
    ids = plays.game_id.astype(np.int64).to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    offsets = np.r_[starts, len(plays)]
    first = plays.iloc[starts]
    game_ids = ids[starts]
    postseason = (first.playoffs == "playoffs").to_numpy()
    start_years = first.season.str.slice(0, 4).astype(int).to_numpy()

    teams = first.game.str.extract(TEAMS_PATTERN)
    all_star = (teams[0].isin(ALL_STAR_TEAMS) | teams[1].isin(ALL_STAR_TEAMS)).to_numpy()
    scores = first.end_result.str.extract(rf"^{SCORE_PATTERN}$")
    scheduled, final = [], []
    for index, game_id in enumerate(game_ids.tolist()):
        game = {
            "id": game_id,
            "season": int(start_years[index]),
            "postseason": bool(postseason[index]),
            "all_star": bool(all_star[index]),
            "status": "scheduled",
            "home_team": teams.iat[index, 1],
            "visitor_team": teams.iat[index, 0],
            "home_team_score": None,
            "visitor_team_score": None,
        }
        scheduled.append(game)
        visitor, home = scores.iat[index, 0], scores.iat[index, 1]
        final.append(
            game
            | {
                "status": "final",
                "home_team_score": None if pd.isna(home) else int(home),
                "visitor_team_score": None if pd.isna(visitor) else int(visitor),
            }
        )

    return ReplayDataset(
        source=str(path),
        game_ids=game_ids,
        postseason=postseason,
        all_star=all_star,
        seasons=_season_indexes(first.season.to_numpy(), start_years, postseason, all_star),
        scheduled=scheduled,
        final=final,
        plays=plays,
        play_offsets=offsets,
        box_players=_box_players(plays, offsets),
    )


def _box_players(plays: pd.DataFrame, offsets: np.ndarray) -> list[list[dict[str, Any]]]:
    """Per game (by sequence) and player: attempts = rows, made = rows whose shot_made is "1"."""
    sequence = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    counts = (
        pd.DataFrame({"sequence": sequence, "player": plays.player.to_numpy(), "made": (plays.shot_made == "1")})
        .groupby(["sequence", "player"], sort=True)
        .made.agg(["size", "sum"])
    )
    box_players: list[list[dict[str, Any]]] = [[] for _ in range(len(offsets) - 1)]
    for (seq, player), attempted, made in zip(counts.index, counts["size"], counts["sum"], strict=True):
        box_players[seq].append(
            {"player": player, "free_throws_attempted": int(attempted), "free_throws_made": int(made)}
        )
    return box_players


def _season_indexes(
    names: np.ndarray, start_years: np.ndarray, postseason: np.ndarray, all_star: np.ndarray
) -> list[SeasonIndex]:
    """Each season's games (by sequence, in release order), oldest season first."""
    seasons = []
    for year in np.unique(start_years).tolist():
        members = np.flatnonzero(start_years == year)
        seasons.append(
            SeasonIndex(
                season=year,
                name=str(names[members[0]]),
                first=int(members[0]),
                end=int(members[-1]) + 1,
                regular=members[~postseason[members] & ~all_star[members]],
                postseason=members[postseason[members]],
                all_star=members[all_star[members]],
            )
        )
    return seasons
