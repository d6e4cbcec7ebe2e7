"""Synthetic free throws in the exact Kaggle "NBA free throws" schema and value formats.

Seeded, so the same arguments give the same file. Realistic enough that the score_beater label is
learnable: players have a free-throw skill and a rate of drawing fouls, their minutes change from
season to season (young players gain, old ones lose), some retire and rookies replace them, players
move between teams and miss games. A season has 1,230 regular-season games (990 when shortened,
as 2011-12 was), one All-Star game stored as a regular-season game ("EAST - WEST"), and playoff
games. Game ids sort by date within a season, like the file's date-prefixed ids (``261031013``:
year code 26 = 2006, 31 October, game 13 of the day).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from shot_platform.free_throws.schema import FREE_THROW_COLUMNS, PLAYOFFS_VALUE, REGULAR, season_label

TEAMS: tuple[str, ...] = (
    "ATL", "BOS", "NJ", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GS",
    "HOU", "IND", "LAC", "LAL", "MEM", "MIA", "MIL", "MIN", "NO", "NY",
    "OKC", "ORL", "PHI", "PHX", "POR", "SAC", "SA", "TOR", "UTAH", "WSH",
)  # fmt: skip
ROSTER = 14
REGULAR_GAMES = 1230  # 30 teams x 82 games / 2
SHORT_GAMES = 990  # 30 teams x 66 games / 2 (2011-12)
FIRST_NAMES = (
    "Andre", "Ben", "Carl", "Dwyane", "Eric", "Gary", "Hakim", "Ike", "Jason", "Kevin", "Lamar", "Marko",
    "Nate", "Otis", "Paul", "Rudy", "Shawn", "Troy", "Vince", "Wally", "Yao", "Zach", "J.J.", "D.J.",
)  # fmt: skip
LAST_NAMES = (
    "Allen", "Barbosa", "Carter", "Davis", "Evans", "Gordon", "Harris", "Iverson", "Jackson", "Kapono",
    "Lee", "Martin", "Nash", "Odom", "Pierce", "Redd", "Smith", "Terry", "Udoh", "Wallace", "Young",
    "O'Neal", "Stoudemire", "Mbenga",
)  # fmt: skip


def _year_code(date: dt.date) -> str:
    return f"{date.year - 1980:02d}"


def _game_id(date: dt.date, slot: int) -> int:
    return int(f"{_year_code(date)}{date.month:02d}{date.day:02d}{slot:03d}")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class _League:
    """Players and their per-season state; every random draw comes from one seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.names: list[str] = []
        self.used: set[str] = set()
        n = len(TEAMS) * ROSTER
        self.skill = np.empty(0)  # free-throw make probability
        self.foul_rate = np.empty(0)  # attempts per minute played
        self.age = np.empty(0)
        self.minutes = np.empty(0)
        self.team = np.empty(0, dtype=np.int64)
        self.active = np.empty(0, dtype=bool)
        self._add(n, rookies=False)
        self.team[:] = np.repeat(np.arange(len(TEAMS)), ROSTER)

    def _name(self) -> str:
        for _ in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in self.used:
                break
        else:  # every combination taken: number the name like a Jr./III
            name = f"{name} {len(self.names)}"
        self.used.add(name)
        return name

    def _add(self, count: int, rookies: bool) -> np.ndarray:
        rng = self.rng
        start = len(self.names)
        self.names.extend(self._name() for _ in range(count))
        skill = 1 / (1 + np.exp(-rng.normal(1.2, 0.45, count)))  # mean about 0.75, spread 0.55..0.9
        foul = np.exp(rng.normal(np.log(0.09), 0.55, count))
        age = rng.integers(19, 23, count) if rookies else rng.integers(20, 34, count)
        minutes = np.clip(rng.normal(12 if rookies else 20, 8, count), 2, 40)
        self.skill = np.concatenate([self.skill, skill])
        self.foul_rate = np.concatenate([self.foul_rate, foul])
        self.age = np.concatenate([self.age, age.astype(float)])
        self.minutes = np.concatenate([self.minutes, minutes])
        self.team = np.concatenate([self.team, np.full(count, -1, dtype=np.int64)])
        self.active = np.concatenate([self.active, np.ones(count, dtype=bool)])
        return np.arange(start, start + count)

    def new_season(self) -> None:
        """Age everyone; retire some, sign rookies into the open spots, trade a few, change minutes."""
        rng = self.rng
        active = np.flatnonzero(self.active)
        self.age[active] += 1
        retire_p = np.clip(0.04 + 0.035 * (self.age[active] - 30), 0.04, 0.9)
        retiring = active[rng.random(len(active)) < retire_p]
        self.active[retiring] = False
        self.team[retiring] = -1
        # Minutes: young players gain, veterans lose, everyone moves a little.
        active = np.flatnonzero(self.active)
        trend = np.where(self.age[active] < 26, 3.0, np.where(self.age[active] > 30, -3.0, 0.0))
        self.minutes[active] = np.clip(self.minutes[active] + trend + rng.normal(0, 6, len(active)), 2, 40)
        traded = active[rng.random(len(active)) < 0.12]
        self.team[traded] = rng.integers(0, len(TEAMS), len(traded))
        for team in range(len(TEAMS)):
            roster = np.flatnonzero(self.active & (self.team == team))
            if len(roster) > ROSTER:  # released: out of the league
                cut = rng.choice(roster, len(roster) - ROSTER, replace=False)
                self.active[cut] = False
                self.team[cut] = -1
            elif len(roster) < ROSTER:
                signed = self._add(ROSTER - len(roster), rookies=True)
                self.team[signed] = team

    def roster(self, team: int) -> np.ndarray:
        return np.flatnonzero(self.active & (self.team == team))


def _schedule(
    rng: np.random.Generator, start_year: int, games: int, short_seasons: tuple[int, ...]
) -> list[tuple[dt.date, int, int]]:
    """(date, away, home) of the regular season, spread over the calendar, date order."""
    short = start_year in short_seasons
    first = dt.date(start_year, 12, 25) if short else dt.date(start_year, 10, 30)
    days = min(120 if short else 165, games)
    per_day = np.full(days, games // days)
    per_day[rng.choice(days, games - per_day.sum(), replace=False)] += 1
    schedule = []
    for offset, count in enumerate(per_day):
        teams = rng.permutation(len(TEAMS))[: 2 * count]
        date = first + dt.timedelta(days=int(offset))
        schedule.extend((date, int(teams[2 * i]), int(teams[2 * i + 1])) for i in range(count))
    return schedule


def _game_rows(
    rng: np.random.Generator,
    league: _League,
    game_id: int,
    teams: tuple[str, str],
    rosters: tuple[np.ndarray, np.ndarray],
    availability: np.ndarray,
    season: str,
    playoffs: str,
) -> list[tuple]:
    """Every free-throw attempt of one game, in game order, with the running score after it."""
    overtime = int(rng.random() < 0.06)
    total_seconds = 4 * 720 + overtime * 300
    trips: list[tuple[float, int, int, str, int]] = []  # (elapsed, side, player, kind, shots)
    for side, roster in enumerate(rosters):
        plays = roster[rng.random(len(roster)) < availability[roster]]
        minutes = league.minutes[plays] * rng.uniform(0.6, 1.4, len(plays))
        expected = league.foul_rate[plays] * minutes * (1.1 if playoffs == PLAYOFFS_VALUE else 1.0)
        attempts = rng.poisson(expected)
        for player, count in zip(plays, attempts, strict=True):
            remaining = int(count)
            while remaining > 0:
                draw = rng.random()
                if draw < 0.05:
                    kind, shots = "technical", 1
                elif draw < 0.07 and remaining >= 3:
                    kind, shots = "ordinal", 3
                elif draw < 0.2 or remaining == 1:
                    kind, shots = "ordinal", 1
                else:
                    kind, shots = "ordinal", 2
                trips.append((rng.uniform(0, total_seconds), side, int(player), kind, shots))
                remaining -= shots
    trips.sort()
    field_points = rng.normal(80, 9, 2).clip(50, 120)
    made_shots = []
    for _, _, player, _, shots in trips:
        made_shots.append(rng.random(shots) < league.skill[player])
    free_points = np.zeros(2, dtype=np.int64)
    for (_, side, _, _, _), made in zip(trips, made_shots, strict=True):
        free_points[side] += int(made.sum())
    final = np.round(field_points).astype(np.int64) + free_points
    if final[0] == final[1]:  # no ties in the NBA
        final[1] += 1
    end_result = f"{final[0]} - {final[1]}"
    game = f"{teams[0]} - {teams[1]}"
    rows = []
    free_so_far = np.zeros(2, dtype=np.int64)
    for (elapsed, side, player, kind, shots), made in zip(trips, made_shots, strict=True):
        period = min(int(elapsed // 720) + 1, 4) if elapsed < 2880 else 5
        start = (period - 1) * 720 if period <= 4 else 2880
        length = 720 if period <= 4 else 300
        left = length - (elapsed - start)
        field = np.floor(field_points * (elapsed / total_seconds)).astype(np.int64)
        name = league.names[player]
        for number, hit in enumerate(made, start=1):
            free_so_far[side] += int(hit)
            score = field + free_so_far
            verb = "makes" if hit else "misses"
            text = (
                f"{name} {verb} technical free throw"
                if kind == "technical"
                else (f"{name} {verb} free throw {number} of {shots}")
            )
            rows.append(
                (end_result, game, game_id, period, text, name, playoffs, f"{score[0]} - {score[1]}", season,
                 int(hit), _clock(left))
            )  # fmt: skip
    return rows


def generate_free_throws(
    seasons: int = 3,
    first_season: int = 2006,
    seed: int = 0,
    short_seasons: tuple[int, ...] = (2011,),
    playoff_games: int = 60,
    all_star: bool = True,
    regular_games: int = REGULAR_GAMES,
) -> pd.DataFrame:
    """``seasons`` seasons from ``first_season`` (start years), in the Kaggle column order.

    Seasons have ``regular_games`` regular-season games (1,230; fewer makes small test files), those
    whose start year is in ``short_seasons`` 66/82 of that (990 of 1,230). Values are
    typed (game_id, period, shot_made as integers); ``write_free_throws`` writes the file.
    """
    if seasons < 1 or regular_games < 30:
        raise ValueError("seasons must be at least 1 and regular_games at least 30")
    rng = np.random.default_rng(seed)
    league = _League(rng)
    rows: list[tuple] = []
    for index in range(seasons):
        start_year = first_season + index
        if index:
            league.new_season()
        season = season_label(start_year)
        # Availability: the share of games a player is healthy and in the rotation this season.
        availability = np.clip(rng.beta(6, 1.5, len(league.names)), 0.05, 1.0)
        games = round(regular_games * SHORT_GAMES / REGULAR_GAMES) if start_year in short_seasons else regular_games
        schedule = _schedule(rng, start_year, games, short_seasons)
        slots: dict[dt.date, int] = {}
        rosters = {team: league.roster(team) for team in range(len(TEAMS))}
        for date, away, home in schedule:
            slots[date] = slots.get(date, 0) + 1
            rows += _game_rows(
                rng,
                league,
                _game_id(date, slots[date]),
                (TEAMS[away], TEAMS[home]),
                (rosters[away], rosters[home]),
                availability,
                season,
                REGULAR,
            )
        if all_star:
            date = schedule[len(schedule) // 2][0]
            best = np.argsort(-league.minutes * league.active)[:24]
            rows += _game_rows(
                rng,
                league,
                _game_id(date, 999),
                ("EAST", "WEST"),
                (best[:12], best[12:]),
                np.ones(len(league.names)),
                season,
                REGULAR,
            )
        last = schedule[-1][0]
        for number in range(playoff_games):
            date = last + dt.timedelta(days=3 + number // 4)
            away, home = rng.choice(16, 2, replace=False)
            rows += _game_rows(
                rng,
                league,
                _game_id(date, 1 + number % 4),
                (TEAMS[away], TEAMS[home]),
                (rosters[int(away)], rosters[int(home)]),
                availability,
                season,
                PLAYOFFS_VALUE,
            )
    # Two missed technicals of one player at the same second read as one row twice; the Kaggle file
    # has no exactly repeated row (ingest counts a repeat as a duplicate), so neither does this.
    return pd.DataFrame(rows, columns=list(FREE_THROW_COLUMNS)).drop_duplicates(ignore_index=True)


def write_free_throws(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write as .csv or .csv.gz (by extension), exactly as the Kaggle file spells values."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


__all__ = ["REGULAR_GAMES", "SHORT_GAMES", "TEAMS", "generate_free_throws", "write_free_throws"]
