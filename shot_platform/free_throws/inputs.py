"""Model inputs: their names, validation rules, and point-in-time snapshots.

An input row describes one player of season s-1 after ``k`` regular-season games of season s
are final league-wide (``k = 0`` is preseason). Every input is a raw count or a public schedule
fact; all feature engineering happens inside the model. "So far" counts only games among the
first ``k`` game_ids of season s, so nothing from later games can leak in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import isfinite

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from shot_platform.free_throws.counts import ATTEMPTED, GAME_NUMBER, GAMES, MADE, FreeThrowCounts
from shot_platform.free_throws.schema import PLAYER, SEASON

GAMES_PLAYED = "games_played"  # k: league games final at the snapshot (not an input; season_share is)
FRACTION = "fraction"  # the season fraction an evaluation snapshot was taken at


@dataclass(frozen=True)
class InputRule:
    """One named scalar input: its range, whether it must be whole, what it means."""

    name: str
    minimum: float
    maximum: float
    description: str
    whole: bool = True


@dataclass(frozen=True)
class NotAbove:
    """Cross-input rule: ``lower <= factor * upper`` (e.g. made <= attempted)."""

    lower: str
    upper: str
    description: str
    factor: float = 1.0


# Maxima are sanity bounds far above any NBA season (the record is 840 made free throws), there
# to refuse garbage such as 1e9, not to constrain real players.
INPUT_RULES: tuple[InputRule, ...] = (
    InputRule("last_made", 0, 2000, "free throws he made in last regular season"),
    InputRule("last_attempted", 0, 3000, "free throws he attempted in last regular season"),
    InputRule("last_games", 0, 200, "last-season games in which he attempted a free throw"),
    InputRule("last_scheduled_games", 1, 2000, "league games of last regular season (1,230; 990 in 2011-12)"),
    InputRule("before_last_made", 0, 2000, "free throws he made in the regular season before last"),
    InputRule("before_last_attempted", 0, 3000, "free throws he attempted in the regular season before last"),
    InputRule("before_last_games", 0, 200, "games with a free-throw attempt in the season before last"),
    InputRule(
        "before_last_scheduled_games", 0, 2000, "league games of the season before last; 0 when it is not on record"
    ),
    InputRule("made", 0, 2000, "free throws he made this regular season so far"),
    InputRule("attempted", 0, 3000, "free throws he attempted this regular season so far"),
    InputRule("games", 0, 200, "games this season so far in which he attempted a free throw"),
    InputRule("scheduled_games", 1, 2000, "league games scheduled this regular season"),
    InputRule(
        "season_share",
        0,
        1,
        "share of this season's scheduled league games that are final (0 = preseason)",
        whole=False,
    ),
)

MAX_ATTEMPTS_PER_GAME = 50  # the record is 39 (Dwight Howard, 12 January 2012, in this file)

INPUT_RELATIONS: tuple[NotAbove, ...] = tuple(
    relation
    for prefix in ("last_", "before_last_", "")
    for relation in (
        NotAbove(f"{prefix}made", f"{prefix}attempted", "made at most attempted"),
        NotAbove(f"{prefix}games", f"{prefix}attempted", "each counted game has an attempt"),
        NotAbove(
            f"{prefix}attempted",
            f"{prefix}games",
            f"at most {MAX_ATTEMPTS_PER_GAME} attempts a game",
            factor=MAX_ATTEMPTS_PER_GAME,
        ),
        NotAbove(f"{prefix}games", f"{prefix}scheduled_games", "his games are league games of that season"),
    )
)

INPUT_NAMES: tuple[str, ...] = tuple(rule.name for rule in INPUT_RULES)


def input_errors(instance: Mapping[str, object]) -> list[str]:
    """Why one instance (input name -> value) is invalid; empty when it is valid.

    Checks presence, numeric type, finiteness, range, wholeness, then the cross-input rules.
    Unknown keys are the caller's business (a service may accept ids next to the inputs).
    """
    errors: list[str] = []
    values: dict[str, float] = {}
    for rule in INPUT_RULES:
        value = instance.get(rule.name)
        if value is None:
            errors.append(f"{rule.name}: missing ({rule.description})")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            errors.append(f"{rule.name}: must be a number, got {value!r}")
            continue
        number = float(value)
        if not isfinite(number) or not rule.minimum <= number <= rule.maximum:
            errors.append(f"{rule.name}: must be within {rule.minimum:g}..{rule.maximum:g}, got {value!r}")
        elif rule.whole and not number.is_integer():
            errors.append(f"{rule.name}: must be a whole number, got {value!r}")
        else:
            values[rule.name] = number
    for relation in INPUT_RELATIONS:
        lower, upper = values.get(relation.lower), values.get(relation.upper)
        if lower is not None and upper is not None and lower > relation.factor * upper:
            bound = relation.upper if relation.factor == 1 else f"{relation.factor:g} x {relation.upper}"
            errors.append(f"{relation.lower} must not exceed {bound} ({relation.description})")
    return errors


def games_at_fractions(scheduled_games: int, fractions: Iterable[float]) -> list[int]:
    """k = round(f * scheduled games) for each fraction f of the season."""
    return [round(fraction * scheduled_games) for fraction in fractions]


def _cumulative(counts: FreeThrowCounts, season: int, players: pd.Index, scheduled: int) -> np.ndarray:
    """(3, players, scheduled + 1): made, attempted, games after 0..scheduled league games."""
    games = counts.player_games[counts.player_games[SEASON] == season]
    row = players.get_indexer(games[PLAYER])
    keep = row >= 0  # players new this season are not in the population
    grid = np.zeros((3, len(players), scheduled + 1), dtype=np.float64)
    column = games[GAME_NUMBER].to_numpy()[keep]
    grid[0, row[keep], column] = games[MADE].to_numpy()[keep]
    grid[1, row[keep], column] = games[ATTEMPTED].to_numpy()[keep]
    grid[2, row[keep], column] = 1.0
    return np.cumsum(grid, axis=2)


def _season_totals(counts: FreeThrowCounts, season: int, players: pd.Index) -> tuple[pd.DataFrame, float]:
    """Totals of ``players`` in ``season`` (0 when absent) and its scheduled games (0: not on record)."""
    if season not in counts.scheduled_games.index:
        return pd.DataFrame(0, index=players, columns=[MADE, ATTEMPTED, GAMES]), 0.0
    totals = counts.totals[counts.totals[SEASON] == season].set_index(PLAYER)[[MADE, ATTEMPTED, GAMES]]
    return totals.reindex(players).fillna(0), float(counts.scheduled_games.loc[season])


def _snapshot_columns(counts: FreeThrowCounts, season: int, ks: np.ndarray) -> dict[str, np.ndarray | pd.Categorical]:
    scheduled = int(counts.scheduled_games.loc[season])
    if ks.size and (ks.min() < 0 or ks.max() > scheduled):
        raise ValueError(f"games_played must be within 0..{scheduled} for season {season}")
    players = pd.Index(counts.totals.loc[counts.totals[SEASON] == season - 1, PLAYER], name=PLAYER)
    last, last_scheduled = _season_totals(counts, season - 1, players)
    before, before_scheduled = _season_totals(counts, season - 2, players)
    so_far = _cumulative(counts, season, players, scheduled)[:, :, ks]  # (3, players, len(ks))
    n_players, n_ks = len(players), len(ks)
    rows = n_players * n_ks

    def per_player(values: pd.Series) -> np.ndarray:
        return np.tile(values.to_numpy(np.float64), n_ks)

    def per_snapshot(values: np.ndarray) -> np.ndarray:
        return values.T.reshape(-1)  # k-major, player-minor

    return {
        SEASON: np.full(rows, season, dtype=np.int64),
        PLAYER: pd.Categorical.from_codes(np.tile(np.arange(n_players), n_ks), categories=players),
        GAMES_PLAYED: np.repeat(ks, n_players),
        "last_made": per_player(last[MADE]),
        "last_attempted": per_player(last[ATTEMPTED]),
        "last_games": per_player(last[GAMES]),
        "last_scheduled_games": np.full(rows, last_scheduled),
        "before_last_made": per_player(before[MADE]),
        "before_last_attempted": per_player(before[ATTEMPTED]),
        "before_last_games": per_player(before[GAMES]),
        "before_last_scheduled_games": np.full(rows, before_scheduled),
        "made": per_snapshot(so_far[0]),
        "attempted": per_snapshot(so_far[1]),
        "games": per_snapshot(so_far[2]),
        "scheduled_games": np.full(rows, float(scheduled)),
        "season_share": np.repeat(ks / scheduled, n_players),
    }


def snapshot_inputs(
    counts: FreeThrowCounts, season: int, games_played: int | Sequence[int] | np.ndarray
) -> pd.DataFrame:
    """Inputs of every player of season - 1 after each k in ``games_played`` league games of ``season``.

    Columns: season, player (categorical), games_played, then ``INPUT_NAMES`` (float64); rows
    ordered by k, then player. Vectorised: one cumulative sum per season, then a gather. Measured:
    the 7 labelled seasons x every k (3.7 million rows) in 0.2-0.5 s of CPU.
    """
    ks = np.atleast_1d(np.asarray(games_played, dtype=np.int64))
    return pd.DataFrame(_snapshot_columns(counts, season, ks))


def season_snapshots(
    counts: FreeThrowCounts,
    seasons: Iterable[int],
    fractions: Iterable[float] | None = None,
    every: int = 1,
) -> pd.DataFrame:
    """Snapshots of several seasons: at ``fractions`` of each season, else after every ``every``-th game.

    With ``fractions``, k = round(f * scheduled games) per season (the evaluation points) and a
    ``fraction`` column; otherwise k = 0, every, 2 * every, ... up to the last game (a training grid).
    Measured: every k of the 7 labelled seasons (3.7 million rows) in 1.1-2.6 s of CPU, mostly
    assembling the frame; the training grid (every 10th game, 5 seasons) in about 0.1 s.
    """
    fractions = None if fractions is None else list(fractions)
    parts: list[dict[str, np.ndarray | pd.Categorical]] = []
    for season in seasons:
        scheduled = int(counts.scheduled_games.loc[season])
        if fractions is None:
            parts.append(_snapshot_columns(counts, season, np.arange(0, scheduled + 1, every)))
            continue
        for fraction in fractions:
            columns = _snapshot_columns(counts, season, np.asarray(games_at_fractions(scheduled, [fraction])))
            columns[FRACTION] = np.full(len(columns[SEASON]), float(fraction))
            parts.append(columns)
    return pd.DataFrame(
        {
            name: union_categoricals([part[name] for part in parts])
            if name == PLAYER
            else np.concatenate([part[name] for part in parts])
            for name in parts[0]
        }
    )


__all__ = [
    "FRACTION",
    "GAMES_PLAYED",
    "INPUT_NAMES",
    "INPUT_RELATIONS",
    "INPUT_RULES",
    "MAX_ATTEMPTS_PER_GAME",
    "InputRule",
    "NotAbove",
    "games_at_fractions",
    "input_errors",
    "season_snapshots",
    "snapshot_inputs",
]
