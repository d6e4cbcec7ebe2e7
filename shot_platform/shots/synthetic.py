"""Synthetic NBA shot logs in the exact schema of the Kaggle 2014-15 shot logs file.

The real file may not ship with the project, so the demo and the tests use this
generator. Its distributions and relationships were calibrated against aggregate
statistics of the real file (histograms, rates, a fitted logistic make model); no
rows, names or ids were copied. Teams, players and latent skills come from ``seed``.

The generative story, per shot: shooter (usage by rotation rank) -> zone (his
distance profile) -> play type (put-back / transition / half-court) -> dribbles and
touch time -> shot clock -> closest defender (an opponent suited to the zone) and his
distance -> make probability from distance x defender distance, shot clock,
dribbles, home edge and both players' latent skills.
"""

from __future__ import annotations

import datetime
import os
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shot_platform.shots.schema import ARC_THREE_FT, CORNER_THREE_FT, SHOT_LOG_COLUMNS

# --- league ----------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Space-separated tokens; keeps the long constant lists below readable."""
    return tuple(text.split())


# Invented codes, none a real NBA abbreviation, so synthetic rows never pass for real.
TEAM_CODES: tuple[str, ...] = _words(
    "ABQ ANC BLT BOI BUF CIN COL DSM ELP FRE GRR HFD HNL JAX KCK "
    "LOU LVG MAD NSH OMA PIT PRV RAL RNO RIC ROC SDG SPK STL TUL"
)
_MONTHS = _words("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")

GUARD, WING, BIG = 0, 1, 2
# Rotation slot -> role; 5 guards, 4 wings, 4 bigs per 13-man roster.
_ROLE_BY_RANK = np.array([0, 0, 1, 2, 2, 0, 1, 2, 0, 1, 2, 0, 1])
_USAGE_BY_RANK = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.33, 0.25, 0.18, 0.12, 0.08, 0.06])
_MINUTES_BY_RANK = np.array([1.0, 0.95, 0.9, 0.9, 0.85, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.2])
_PLAY_PROB_BY_RANK = np.array([0.95] * 8 + [0.7, 0.5, 0.25, 0.15, 0.1])
ROSTER_SIZE = len(_ROLE_BY_RANK)

# Zones: rim (0-4 ft), short (4-10), mid-range two (10-23.75), three, heave (30+).
RIM, SHORT, MID, THREE, HEAVE = 0, 1, 2, 3, 4
# Mean rim/short/mid/three profile per role; each player is a Dirichlet draw around it.
_ZONE_MEANS = np.array(
    [
        [0.13, 0.17, 0.32, 0.38],
        [0.19, 0.22, 0.31, 0.28],
        [0.38, 0.37, 0.20, 0.05],
    ]
)
_ZONE_CONCENTRATION = 14.0
# Who guards whom: defender role x shot zone (bigs protect the rim, guards chase).
_DEFENDER_AFFINITY = np.array(
    [
        [0.5, 0.7, 1.1, 1.4, 1.2],
        [0.8, 0.9, 1.1, 1.1, 1.0],
        [2.2, 1.6, 0.8, 0.45, 0.6],
    ]
)

# --- shot geometry: relative histogram weights per zone, measured on the real file
_RIM_WEIGHTS = (27, 69, 96, 100)
_SHORT_WEIGHTS = (100, 82, 65, 54, 46, 42)
_MID_WEIGHTS = (51, 49, 43, 46, 51, 59, 70, 84, 94, 100, 91, 60, 29, 17)
_THREE_WEIGHTS = (31, 49, 36, 22, 23, 92, 100, 68, 38, 35, 14, 6, 3)
_HEAVE_WEIGHTS = (100, 58, 39, 30, 28, 32, 20, 9)
_ZONE_HISTOGRAMS: dict[int, tuple[tuple[float, ...], tuple[int, ...]]] = {
    RIM: ((0, 1, 2, 3, 4), _RIM_WEIGHTS),
    SHORT: ((4, 5, 6, 7, 8, 9, 10), _SHORT_WEIGHTS),
    MID: ((*range(10, 24), ARC_THREE_FT), _MID_WEIGHTS),
    THREE: (
        (22, 22.5, 23, 23.5, 23.75, 24, 24.5, 25, 25.5, 26, 27, 28, 29, 30),
        _THREE_WEIGHTS,
    ),
    HEAVE: ((30, 32, 34, 36, 38, 40, 42, 44, 47), _HEAVE_WEIGHTS),
}
HALF_COURT, PUTBACK, TRANSITION = 0, 1, 2
_PUTBACK_BY_ZONE = np.array([0.11, 0.035, 0.0, 0.0, 0.0])
_TRANSITION_BY_ZONE = np.array([0.16, 0.05, 0.04, 0.09, 0.0])
_OPEN_BY_ZONE = np.array([0.004, 0.004, 0.012, 0.04, 0.0])  # blown coverage
_BUZZER_HEAVE_PROB = 0.18  # share of shots with <= 3 s left that are heaves
_HEAVE_PROB = 0.0015  # heaves at any other time

# Closest-defender distance: gamma whose mean and shape grow with shot distance.
_CDD_KNOTS = (0, 3, 8, 12, 18, 22, 25, 30)
_CDD_MEAN = (2.5, 2.5, 2.6, 3.8, 4.8, 5.2, 5.6, 7.0)
_CDD_SHAPE = (2.3, 2.5, 3.0, 4.5, 5.5, 6.0, 6.0, 6.0)

# Make model: logit = base(dist) + slope(dist) * log1p(defender distance) + terms below.
# Fitted on the real file with this design (AUC 0.63 there); skills are added on top.
_MAKE_KNOTS = (0, 4, 10, 22, 28, 32, 47)
_MAKE_BASE = (-0.46, -0.69, -1.10, -0.93, -1.21, -2.4, -2.8)
_MAKE_DEF_SLOPE = (1.17, 0.92, 0.53, 0.31, 0.21, 0.0, 0.0)
_MAKE_LATE_CLOCK = -0.54  # full effect at 0 s, fading out by 4 s
_MAKE_EARLY_CLOCK = 0.08  # full effect at 24 s, fading out by 18 s
_MAKE_DRIBBLES = -0.10  # per log1p(dribbles)
_MAKE_HOME = 0.03
_MAKE_OFFSET = -0.015
# Latent skills (logit scale): the real file shows shooter and defender spreads of
# about this size once shot distance is accounted for.
_SKILL_SD, _SKILL_CORR, _DEFENSE_SD = 0.15, 0.5, 0.12

# --- games ---------------------------------------------------------------------------
REGULATION_SECONDS, OVERTIME_SECONDS = 720, 300
# Relative shot density per twelfth of a period, from 0 s remaining upwards.
_PERIOD_SHAPE = (1.14, 0.96, 0.94, 0.97, 0.99, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85)
_OVERTIME_PROB, _EXTRA_OVERTIME_PROB = 0.07, 0.2
_FIRST_GAME_ID = 21_400_001
_SHOTS_PER_TEAM_GAME = 72.0
_MARGIN_PER_LOGGED_POINT, _HOME_MARGIN, _MARGIN_NOISE = 0.45, 1.5, 11.0

# Real-file quirks reproduced on purpose, so cleaning code gets exercised.
_CLOCK_OFF_PROB, _CLOCK_MISSING_PROB = 0.63, 0.018
_ZERO_TOUCH_PROB, _NEGATIVE_TOUCH_PROB = 0.024, 0.0025
_SHORT_THREE_PROB, _FAR_SHORT_THREE_PROB, _LONG_TWO_PROB = 0.022, 0.0035, 0.02

# Syllables for invented names (checked against the real file: no shared surname).
_FIRST_HEADS = _words("Ja Ta Ke Da Mar De Tre Ro Lu Ni Za Qua Bry Cor El Fen Ky Or Sha Vi")
_FIRST_TAILS = _words("vor len rik del rion mir quel sel tan rus dre lio")
_LAST_HEADS = _words("Bal Cor Dun Fen Gar Hol Kest Lor Mab Nor Pell Quin Rad Sto Tal Ver Wyn Yar Ab Ost")
_LAST_MIDS = ("", "a", "e", "i", "o")
_LAST_TAILS = _words("brane by dell ferd gren hurst ick ley mont ovic rey sen ton wick zak")


@dataclass(frozen=True)
class _League:
    """Invented teams and players with the latent traits that drive every shot."""

    roster: np.ndarray  # (30, 13) player index per team, in rotation order
    rank: np.ndarray  # per player: rotation slot 0..12
    role: np.ndarray  # GUARD / WING / BIG
    player_id: np.ndarray
    first: np.ndarray
    last: np.ndarray
    usage: np.ndarray  # relative shot volume
    zone_p: np.ndarray  # (P, 4) rim/short/mid/three profile
    catch_logit: np.ndarray  # tendency to shoot without dribbling
    handle: np.ndarray  # mean dribbles when he does dribble
    skill_inside: np.ndarray  # logit offset on rim and short shots
    skill_outside: np.ndarray  # logit offset on mid-range, threes and heaves
    defense: np.ndarray  # logit penalty he imposes as closest defender


@dataclass(frozen=True)
class _Schedule:
    """One row per game, in date order."""

    dates: list[datetime.date]
    home: np.ndarray
    away: np.ndarray


@dataclass(frozen=True)
class _Sides:
    """Both teams of every game: side 2g is game g's away team, 2g + 1 its home team."""

    game: np.ndarray
    is_home: np.ndarray
    team: np.ndarray
    roster: np.ndarray  # (sides, 13) player index
    active: np.ndarray  # (sides, 13) dressed and played
    attempts: np.ndarray  # (sides, 13) shots per player


def _interp(x: np.ndarray, knots: tuple[float, ...], values: tuple[float, ...]) -> np.ndarray:
    """Piecewise-linear lookup, flat beyond the end knots."""
    return np.interp(x, np.asarray(knots, float), np.asarray(values, float))


def _sample_histogram(
    rng: np.random.Generator,
    edges: tuple[float, ...],
    weights: tuple[float, ...],
    size: int,
) -> np.ndarray:
    """Draw from a piecewise-uniform density, the match for a measured histogram."""
    w = np.asarray(weights, float)
    bins = rng.choice(len(w), size=size, p=w / w.sum())
    lo, hi = np.asarray(edges[:-1], float)[bins], np.asarray(edges[1:], float)[bins]
    return lo + (hi - lo) * rng.random(size)


def _choose_columns(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One weighted draw per row of a (n, k) weight matrix, vectorised."""
    cum = np.cumsum(weights, axis=1)
    target = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum <= target[:, None]).sum(axis=1), weights.shape[1] - 1)


def _invent_names(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Syllable-built names with unique surnames: no duplicates and no real players."""
    firsts = np.array([h + t for h in _FIRST_HEADS for t in _FIRST_TAILS])
    lasts = np.array([h + m + t for h in _LAST_HEADS for m in _LAST_MIDS for t in _LAST_TAILS])
    return rng.choice(firsts, size=count), rng.choice(lasts, size=count, replace=False)


def _build_league(rng: np.random.Generator) -> _League:
    """30 teams x 13 players; traits vary within role so players are distinguishable."""
    n_teams = len(TEAM_CODES)
    count = n_teams * ROSTER_SIZE
    rank = np.tile(np.arange(ROSTER_SIZE), n_teams)
    role = _ROLE_BY_RANK[rank]
    first, last = _invent_names(rng, count)
    zone_p = np.vstack([rng.dirichlet(_ZONE_CONCENTRATION * _ZONE_MEANS[r]) for r in role])
    skill_cov = _SKILL_SD**2 * np.array([[1.0, _SKILL_CORR], [_SKILL_CORR, 1.0]])
    skills = rng.multivariate_normal([0.0, 0.0], skill_cov, size=count)
    return _League(
        roster=np.arange(count).reshape(n_teams, ROSTER_SIZE),
        rank=rank,
        role=role,
        player_id=rng.choice(np.arange(200_000, 205_000), size=count, replace=False),
        first=first,
        last=last,
        usage=_USAGE_BY_RANK[rank] * np.array([1.05, 1.0, 0.9])[role] * rng.lognormal(0.0, 0.25, count),
        zone_p=zone_p,
        catch_logit=np.array([-0.5, 0.1, 0.5])[role] + rng.normal(0.0, 0.4, count),
        handle=np.array([5.0, 3.3, 2.2])[role] * rng.lognormal(0.0, 0.25, count),
        skill_inside=skills[:, 0],
        skill_outside=skills[:, 1],
        defense=rng.normal(0.0, _DEFENSE_SD, count),
    )


def _build_schedule(rng: np.random.Generator, games: int, start_date: datetime.date) -> _Schedule:
    """About 7-8 games a day, rested teams first: each plays about every other day."""
    n_teams = len(TEAM_CODES)
    played = np.zeros(n_teams)
    home_games = np.zeros(n_teams)
    last_day = np.full(n_teams, -10)
    dates: list[datetime.date] = []
    home: list[int] = []
    away: list[int] = []
    day = 0
    while len(dates) < games:
        n_games = min(int(np.clip(np.rint(rng.normal(7.3, 3.0)), 2, 13)), games - len(dates))
        priority = played + rng.uniform(0.0, 1.5, n_teams) + 1.0 * (last_day == day - 1)
        teams = rng.permutation(np.argsort(priority)[: 2 * n_games])
        for a, b in teams.reshape(-1, 2):
            a_home = home_games[a] < home_games[b] or (home_games[a] == home_games[b] and rng.random() < 0.5)
            h, v = (a, b) if a_home else (b, a)
            home.append(int(h))
            away.append(int(v))
            dates.append(start_date + datetime.timedelta(days=day))
            home_games[h] += 1
        played[teams] += 1
        last_day[teams] = day
        day += 1
    return _Schedule(dates=dates, home=np.array(home), away=np.array(away))


def _game_clock(rng: np.random.Generator, overtimes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Period and whole seconds remaining; periods are drawn in proportion to length."""
    n = len(overtimes)
    total = 4 * REGULATION_SECONDS + OVERTIME_SECONDS * overtimes
    in_regulation = rng.random(n) * total < 4 * REGULATION_SECONDS
    period = np.where(
        in_regulation,
        1 + rng.integers(0, 4, n),
        5 + np.floor(rng.random(n) * np.maximum(overtimes, 1)).astype(int),
    )
    length = np.where(in_regulation, REGULATION_SECONDS, OVERTIME_SECONDS)
    edges = tuple(np.linspace(0.0, 1.0, len(_PERIOD_SHAPE) + 1))
    remaining = np.floor(_sample_histogram(rng, edges, _PERIOD_SHAPE, n) * length).astype(int)
    return period, remaining


def _shot_distance(rng: np.random.Generator, zone: np.ndarray) -> np.ndarray:
    """True distance in feet, drawn from each zone's measured histogram."""
    dist = np.empty(len(zone))
    for z, (edges, weights) in _ZONE_HISTOGRAMS.items():
        mask = zone == z
        dist[mask] = _sample_histogram(rng, edges, weights, int(mask.sum()))
    return dist


def _dribbles_and_touch(
    rng: np.random.Generator,
    league: _League,
    shooter: np.ndarray,
    zone: np.ndarray,
    play: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Catch-and-shoot or off the bounce; touch time grows about 0.9 s per dribble."""
    n = len(shooter)
    zone_adj = np.array([0.2, -0.5, -0.6, 1.0, -1.0])[zone]
    play_adj = np.array([0.0, 3.0, -0.3])[play]
    p_catch = 1.0 / (1.0 + np.exp(-(league.catch_logit[shooter] + zone_adj + play_adj)))
    mean_extra = np.maximum(league.handle[shooter] - 1.0, 0.05)
    dispersion = 1.1
    extra = rng.negative_binomial(dispersion, dispersion / (dispersion + mean_extra))
    dribbles = np.where(rng.random(n) < p_catch, 0, np.minimum(1 + extra, 32))
    touch = np.where(
        dribbles == 0,
        rng.gamma(4.0, np.where(play == PUTBACK, 0.16, 0.24)),
        0.55 + 0.87 * dribbles + rng.gamma(1.8, 0.45, n) + rng.normal(0.0, 0.1, n) * dribbles,
    )
    return dribbles, np.clip(touch, 0.0, 24.9)


def _shot_clock(rng: np.random.Generator, play: np.ndarray, touch: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """Seconds left on the shot clock; NaN mostly when the game clock turned it off."""
    n = len(play)
    half_court = np.maximum(24.0 - touch, 0.0) * (1.0 - rng.beta(2.1, 2.3, n))
    transition = np.maximum(24.0 - rng.gamma(2.0, 1.3, n), 12.0)
    clock = np.select([play == PUTBACK, play == TRANSITION], [24.0, transition], half_court)
    late = remaining < 24
    clock = np.where(late, np.minimum(clock, remaining), clock)
    missing = np.where(late, rng.random(n) < _CLOCK_OFF_PROB, rng.random(n) < _CLOCK_MISSING_PROB)
    return np.where(missing, np.nan, np.round(clock, 1))


def _defender_distance(rng: np.random.Generator, dist: np.ndarray, zone: np.ndarray, play: np.ndarray) -> np.ndarray:
    """Tight at the rim, looser on jumpers; transition and blown coverage add space."""
    n = len(dist)
    mean = _interp(dist, _CDD_KNOTS, _CDD_MEAN) * np.array([1.0, 0.9, 1.3])[play]
    shape = _interp(dist, _CDD_KNOTS, _CDD_SHAPE)
    cdd = rng.gamma(shape, mean / shape)
    cdd += np.where(rng.random(n) < _OPEN_BY_ZONE[zone], rng.gamma(2.0, 4.0, n), 0.0)
    return np.round(np.minimum(cdd, 53.0), 1)


def _make_probability(
    dist: np.ndarray,
    cdd: np.ndarray,
    clock: np.ndarray,
    dribbles: np.ndarray,
    is_home: np.ndarray,
    skill: np.ndarray,
    defense: np.ndarray,
) -> np.ndarray:
    """Fitted real-data make model plus the shooter's and defender's latent skills."""
    clock_filled = np.where(np.isnan(clock), 12.0, clock)
    logit = (
        _MAKE_OFFSET
        + _interp(dist, _MAKE_KNOTS, _MAKE_BASE)
        + _interp(dist, _MAKE_KNOTS, _MAKE_DEF_SLOPE) * np.log1p(np.minimum(cdd, 15.0))
        + _MAKE_LATE_CLOCK * np.maximum(0.0, 4.0 - clock_filled) / 4.0
        + _MAKE_EARLY_CLOCK * np.maximum(0.0, clock_filled - 18.0) / 6.0
        + _MAKE_DRIBBLES * np.log1p(dribbles)
        + _MAKE_HOME * is_home
        + skill
        - defense
    )
    return 1.0 / (1.0 + np.exp(-logit))


def _points_type(rng: np.random.Generator, zone: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PTS_TYPE and recorded distance, with the real file's tracking disagreements."""
    n = len(zone)
    pts_type = np.where((zone == THREE) | (zone == HEAVE), 3, 2)
    u = rng.random(n)
    is_three = zone == THREE
    short = is_three & (u < _SHORT_THREE_PROB)
    far_short = is_three & (u >= _SHORT_THREE_PROB) & (u < _SHORT_THREE_PROB + _FAR_SHORT_THREE_PROB)
    recorded = np.where(short, CORNER_THREE_FT - rng.exponential(0.55, n), dist)
    recorded = np.where(far_short, rng.uniform(1.0, 20.0, n), recorded)
    long_two = is_three & (dist >= ARC_THREE_FT) & (rng.random(n) < _LONG_TWO_PROB)
    pts_type = np.where(long_two, 2, pts_type)
    return pts_type, np.round(np.maximum(recorded, 0.0), 1)


def _touch_quirks(rng: np.random.Generator, touch: np.ndarray) -> np.ndarray:
    """Zero and slightly negative touch times, as the tracking system recorded them."""
    n = len(touch)
    u = rng.random(n)
    negative = -(0.1 + rng.exponential(0.5, n) * np.where(rng.random(n) < 0.1, 10.0, 1.0))
    out = np.where(u < _ZERO_TOUCH_PROB, 0.0, np.round(touch, 1))
    out = np.where(u > 1.0 - _NEGATIVE_TOUCH_PROB, np.round(negative, 1), out)
    return out + 0.0  # normalise -0.0


def _side_matchups(schedule: _Schedule) -> np.ndarray:
    """MATCHUP per side: 'JAN 31, 2015 - CHA @ DEN' away, '... - DEN vs. CHA' home."""
    labels = []
    for day, home, away in zip(schedule.dates, schedule.home, schedule.away, strict=True):
        date = f"{_MONTHS[day.month - 1]} {day.day:02d}, {day.year}"
        labels.append(f"{date} - {TEAM_CODES[away]} @ {TEAM_CODES[home]}")
        labels.append(f"{date} - {TEAM_CODES[home]} vs. {TEAM_CODES[away]}")
    return np.array(labels, dtype=object)


def _clock_labels(remaining: np.ndarray) -> np.ndarray:
    """'M:SS' without zero-padded minutes, as in the real file ('9:58')."""
    table = np.array([f"{s // 60}:{s % 60:02d}" for s in range(REGULATION_SECONDS + 1)], dtype=object)
    return table[remaining]


def _final_margins(rng: np.random.Generator, fg_points: np.ndarray, overtimes: np.ndarray) -> np.ndarray:
    """Home margin, loosely tied to the logged field goals as in the real file.

    Free throws and untracked shooters are missing from the log, so the real margin
    follows only about 0.45 x the logged points difference (residual sd ~10).
    Overtime games end close.
    """
    n = len(overtimes)
    logged = fg_points[1::2] - fg_points[0::2]
    raw = np.rint(_MARGIN_PER_LOGGED_POINT * logged + rng.normal(_HOME_MARGIN, _MARGIN_NOISE, n))
    sign = np.where(raw == 0, rng.choice([-1, 1], size=n), np.sign(raw))
    size = np.where(overtimes > 0, 1 + rng.poisson(4.0, n), np.maximum(np.abs(raw), 1))
    return (sign * size).astype(np.int64)


def _draw_overtimes(rng: np.random.Generator, games: int) -> np.ndarray:
    """About 7% of games need overtime, a fifth of those another (at most three)."""
    extra = rng.geometric(1.0 - _EXTRA_OVERTIME_PROB, games)
    return np.where(rng.random(games) < _OVERTIME_PROB, np.minimum(extra, 3), 0)


def _allocate_attempts(
    rng: np.random.Generator,
    league: _League,
    schedule: _Schedule,
    overtimes: np.ndarray,
) -> _Sides:
    """Team shots from pace and game length, split by usage among those who played."""
    games = len(overtimes)
    game = np.repeat(np.arange(games), 2)
    is_home = np.tile([0, 1], games)
    team = np.where(is_home == 1, schedule.home[game], schedule.away[game])
    roster = league.roster[team]
    active = rng.random(roster.shape) < _PLAY_PROB_BY_RANK
    active[:, 0] |= ~active.any(axis=1)  # someone always plays
    weights = league.usage[roster] * active * rng.lognormal(0.0, 0.3, roster.shape)
    pace = rng.lognormal(0.0, 0.07, games)[game]
    seconds = 4 * REGULATION_SECONDS + OVERTIME_SECONDS * overtimes[game]
    totals = rng.poisson(_SHOTS_PER_TEAM_GAME * pace * seconds / (4 * REGULATION_SECONDS))
    attempts = rng.multinomial(totals, weights / weights.sum(axis=1, keepdims=True))
    return _Sides(game=game, is_home=is_home, team=team, roster=roster, active=active, attempts=attempts)


def _choose_defenders(
    rng: np.random.Generator,
    league: _League,
    sides: _Sides,
    side: np.ndarray,
    zone: np.ndarray,
) -> np.ndarray:
    """Closest defender: an opponent who played, by minutes and by role for the zone."""
    opponents = sides.roster[side ^ 1]
    weights = sides.active[side ^ 1] * _MINUTES_BY_RANK * _DEFENDER_AFFINITY[league.role[opponents], zone[:, None]]
    return opponents[np.arange(len(side)), _choose_columns(rng, weights)]


def _choose_zone_and_play(
    rng: np.random.Generator,
    league: _League,
    shooter: np.ndarray,
    remaining: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Zone from the shooter's profile (heaves at the buzzer), then the play type."""
    n = len(shooter)
    zone = _choose_columns(rng, league.zone_p[shooter])
    heave = ((remaining <= 3) & (rng.random(n) < _BUZZER_HEAVE_PROB)) | (rng.random(n) < _HEAVE_PROB)
    zone = np.where(heave, HEAVE, zone)
    u = rng.random(n)
    play = np.select(
        [u < _PUTBACK_BY_ZONE[zone], u > 1.0 - _TRANSITION_BY_ZONE[zone]],
        [PUTBACK, TRANSITION],
        HALF_COURT,
    )
    return zone, play


def _elapsed_seconds(period: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """Game time since tip-off, to put each shooter's attempts in order."""
    regulation_start = (period - 1) * REGULATION_SECONDS
    overtime_start = 4 * REGULATION_SECONDS + (period - 5) * OVERTIME_SECONDS
    in_regulation = period <= 4
    start = np.where(in_regulation, regulation_start, overtime_start)
    length = np.where(in_regulation, REGULATION_SECONDS, OVERTIME_SECONDS)
    return start + length - remaining


def _number_shots(frame: pd.DataFrame, elapsed: np.ndarray, rank: np.ndarray) -> pd.DataFrame:
    """Rows by game, away side first, rotation order, time; SHOT_NUMBER per shooter."""
    location_order = (frame["LOCATION"].to_numpy() == "H").astype(int)
    order = np.lexsort((elapsed, rank, location_order, frame["GAME_ID"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["SHOT_NUMBER"] = frame.groupby(["GAME_ID", "player_id"]).cumcount().to_numpy() + 1
    return frame.loc[:, list(SHOT_LOG_COLUMNS)]


def generate_shots(games: int, seed: int = 0, start_date: datetime.date = datetime.date(2014, 10, 28)) -> pd.DataFrame:
    """Shot logs for `games` games (both teams' shots), Kaggle column order and dtypes."""
    if games < 1:
        raise ValueError("games must be at least 1")
    rng = np.random.default_rng(seed)
    league = _build_league(rng)
    schedule = _build_schedule(rng, games, start_date)
    overtimes = _draw_overtimes(rng, games)
    sides = _allocate_attempts(rng, league, schedule, overtimes)

    side = np.repeat(np.arange(2 * games), sides.attempts.sum(axis=1))
    shooter = np.repeat(sides.roster.ravel(), sides.attempts.ravel())
    game = sides.game[side]
    is_home = sides.is_home[side]

    period, remaining = _game_clock(rng, overtimes[game])
    zone, play = _choose_zone_and_play(rng, league, shooter, remaining)
    dist = _shot_distance(rng, zone)
    dribbles, touch = _dribbles_and_touch(rng, league, shooter, zone, play)
    clock = _shot_clock(rng, play, touch, remaining)
    cdd = _defender_distance(rng, dist, zone, play)
    defender = _choose_defenders(rng, league, sides, side, zone)

    skill = np.where(zone <= SHORT, league.skill_inside[shooter], league.skill_outside[shooter])
    p_make = _make_probability(dist, cdd, clock, dribbles, is_home, skill, league.defense[defender])
    fgm = (rng.random(len(side)) < p_make).astype(np.int64)
    pts_type, recorded_dist = _points_type(rng, zone, dist)
    pts = fgm * pts_type
    margin_home = _final_margins(rng, np.bincount(side, weights=pts, minlength=2 * games), overtimes)
    margin = np.where(is_home == 1, margin_home[game], -margin_home[game])

    full_name = np.char.lower(np.char.add(np.char.add(league.first, " "), league.last)).astype(object)
    defender_label = np.char.add(np.char.add(league.last, ", "), league.first).astype(object)
    frame = pd.DataFrame(
        {
            "GAME_ID": (_FIRST_GAME_ID + game).astype(np.int64),
            "MATCHUP": _side_matchups(schedule)[side],
            "LOCATION": np.where(is_home == 1, "H", "A").astype(object),
            "W": np.where(margin > 0, "W", "L").astype(object),
            "FINAL_MARGIN": margin.astype(np.int64),
            "SHOT_NUMBER": np.zeros(len(side), np.int64),
            "PERIOD": period.astype(np.int64),
            "GAME_CLOCK": _clock_labels(remaining),
            "SHOT_CLOCK": clock,
            "DRIBBLES": dribbles.astype(np.int64),
            "TOUCH_TIME": _touch_quirks(rng, touch),
            "SHOT_DIST": recorded_dist,
            "PTS_TYPE": pts_type.astype(np.int64),
            "SHOT_RESULT": np.where(fgm == 1, "made", "missed").astype(object),
            "CLOSEST_DEFENDER": defender_label[defender],
            "CLOSEST_DEFENDER_PLAYER_ID": league.player_id[defender].astype(np.int64),
            "CLOSE_DEF_DIST": cdd,
            "FGM": fgm,
            "PTS": pts.astype(np.int64),
            "player_name": full_name[shooter],
            "player_id": league.player_id[shooter].astype(np.int64),
        }
    )
    return _number_shots(frame, _elapsed_seconds(period, remaining), league.rank[shooter])


def write_shots(frame: pd.DataFrame, path: str | os.PathLike) -> pathlib.Path:
    """Write as CSV; gzip if the path ends with .gz. Creates parent dirs.

    The gzip header's timestamp is pinned, so rewriting a frame gives identical bytes.
    """
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    compression: dict[str, object] | None = {"method": "gzip", "mtime": 0} if target.name.endswith(".gz") else None
    frame.to_csv(target, index=False, compression=compression)
    return target
