"""One season's counts as the flow keeps them in memory, updated game by game.

The population of season s is every player with a regular-season attempt in s - 1 (from the
stored per-game counts). After each regular-season game the arrays of the players in it grow, and
``inputs(games_played)`` gives every player's model inputs at once (a gather, no per-player SQL):
the same numbers as ``inputs.snapshot_inputs`` on the same games (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from shot_platform.free_throws.inputs import GAMES_PLAYED, INPUT_NAMES
from shot_platform.free_throws.schema import ALL_STAR_TEAMS, PLAYER, SEASON
from shot_platform.free_throws.store import tables


def is_all_star(home_team: str, visitor_team: str) -> bool:
    """The All-Star game is listed as a regular-season game; it is not part of anyone's record."""
    return home_team in ALL_STAR_TEAMS or visitor_team in ALL_STAR_TEAMS


@dataclass
class SeasonState:
    """Season ``season``: its regular-season schedule and the population's counts so far."""

    season: int
    game_numbers: dict[int, int]  # regular-season game id (All-Star excluded) -> 1-based position
    last_scheduled_games: int  # 0 when the previous season is not in the store
    population: pd.Index  # players of season - 1, sorted
    last: np.ndarray  # (3, players): last season's made, attempted, games
    before_last_scheduled_games: int  # 0 when the season before last is not in the store
    before_last: np.ndarray  # (3, players): the season before last's made, attempted, games (0 if absent)
    so_far: np.ndarray  # (3, players): this season's made, attempted, games so far
    games_played: int = 0  # regular-season games final (processed or quarantined) so far
    beaten: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # label beat=1 written
    labelled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # any label written

    @property
    def scheduled_games(self) -> int:
        return len(self.game_numbers)

    @property
    def predicted(self) -> bool:
        """Whether the season has players to predict (its previous season is in the store)."""
        return len(self.population) > 0 and self.last_scheduled_games > 0

    def add_game(self, counts: pd.DataFrame) -> np.ndarray:
        """Add one game's per-player made/attempted; returns the population rows that changed."""
        rows = self.population.get_indexer(counts[PLAYER])
        keep = rows >= 0
        rows = rows[keep]
        # np.add.at accumulates repeated rows (a player's several games when the state is reloaded).
        np.add.at(self.so_far[0], rows, counts["made"].to_numpy(dtype=np.float64)[keep])
        np.add.at(self.so_far[1], rows, counts["attempted"].to_numpy(dtype=np.float64)[keep])
        np.add.at(self.so_far[2], rows, 1.0)
        return np.unique(rows)

    def inputs(self, games_played: int, rows: np.ndarray | None = None) -> pd.DataFrame:
        """Model inputs of the population (or of ``rows`` of it) after ``games_played`` league games."""
        index = np.arange(len(self.population)) if rows is None else rows
        n = len(index)
        return pd.DataFrame(
            {
                SEASON: np.full(n, self.season, dtype=np.int64),
                PLAYER: self.population[index].astype(str),
                GAMES_PLAYED: np.full(n, games_played, dtype=np.int64),
                "last_made": self.last[0, index],
                "last_attempted": self.last[1, index],
                "last_games": self.last[2, index],
                "last_scheduled_games": np.full(n, float(self.last_scheduled_games)),
                "before_last_made": self.before_last[0, index],
                "before_last_attempted": self.before_last[1, index],
                "before_last_games": self.before_last[2, index],
                "before_last_scheduled_games": np.full(n, float(self.before_last_scheduled_games)),
                "made": self.so_far[0, index],
                "attempted": self.so_far[1, index],
                "games": self.so_far[2, index],
                "scheduled_games": np.full(n, float(self.scheduled_games)),
                "season_share": np.full(n, games_played / self.scheduled_games),
            }
        )[[SEASON, PLAYER, GAMES_PLAYED, *INPUT_NAMES]]

    def feature_rows(self, games_played: int, rows: np.ndarray) -> pd.DataFrame:
        """Rows of ``free_throw_player_features`` for these population rows (integers, as stored)."""
        inputs = self.inputs(games_played, rows).drop(columns="season_share")
        counts = [c for c in inputs.columns if c not in (SEASON, PLAYER, GAMES_PLAYED)]
        return inputs.astype({name: "int64" for name in counts})


def _totals(conn: Connection, season: int) -> pd.DataFrame:
    games = tables.free_throw_player_games
    query = (
        select(
            games.c.player,
            func.sum(games.c.made).label("made"),
            func.sum(games.c.attempted).label("attempted"),
            func.count().label("games"),
        )
        .where(games.c.season == season)
        .group_by(games.c.player)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=["player", "made", "attempted", "games"])


def load_state(conn: Connection, season: int, game_numbers: dict[int, int], games_played: int) -> SeasonState:
    """The state of ``season`` after its first ``games_played`` regular-season games, from the store."""
    schedule = tables.free_throw_schedule

    def scheduled(year: int) -> int:
        query = select(func.count()).select_from(schedule).where(schedule.c.season == year)
        return int(conn.execute(query).scalar_one())

    last = _totals(conn, season - 1).sort_values("player", ignore_index=True)
    population = pd.Index(last["player"].astype(str))
    before = _totals(conn, season - 2).set_index("player").reindex(population).fillna(0)
    state = SeasonState(
        season=season,
        game_numbers=game_numbers,
        last_scheduled_games=scheduled(season - 1),
        population=population,
        last=last[["made", "attempted", "games"]].to_numpy(dtype=np.float64).T.copy().reshape(3, -1),
        before_last_scheduled_games=scheduled(season - 2),
        before_last=before[["made", "attempted", "games"]].to_numpy(dtype=np.float64).T.copy().reshape(3, -1),
        so_far=np.zeros((3, len(population))),
        games_played=games_played,
        beaten=np.zeros(len(population), dtype=bool),
        labelled=np.zeros(len(population), dtype=bool),
    )
    games = tables.free_throw_player_games
    played = pd.DataFrame(
        conn.execute(
            select(games.c.player, games.c.made, games.c.attempted).where(
                games.c.season == season, games.c.game_number <= games_played
            )
        ).all(),
        columns=["player", "made", "attempted"],
    )
    if len(played):
        state.add_game(played)  # adds each row once: games counts rows, one per player and game
    labels = tables.free_throw_labels
    for player, beat in conn.execute(select(labels.c.player, labels.c.beat).where(labels.c.season == season)).all():
        row = state.population.get_loc(str(player)) if str(player) in state.population else None
        if row is not None:
            state.labelled[row] = True
            state.beaten[row] = bool(beat)
    return state


__all__ = ["SeasonState", "is_all_star", "load_state"]
