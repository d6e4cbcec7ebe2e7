"""The provider's schedules as the sync uses them: which game comes next, and each regular-season
game's number (its place in the season, which the counts and predictions are keyed by)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.report import SyncPart
from shot_platform.free_throws.flow.season import is_all_star
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.scores_api import Game, ScoresApiClient


@dataclass
class Schedules(SyncPart):
    """Each season's schedule, asked once per sync (again when a listed game is missing from it)."""

    client: ScoresApiClient
    games: dict[int, list[Game]] = field(default_factory=dict, init=False)
    numbers: dict[int, dict[int, int]] = field(default_factory=dict, init=False)  # season_numbers of each schedule

    def schedule(self, season: int, refresh: bool = False) -> list[Game]:
        if refresh or season not in self.games:
            with self.clock("http"):
                self.games[season] = self.client.schedule(season)
            self.numbers.pop(season, None)
        return self.games[season]

    def season_numbers(self, season: int) -> dict[int, int]:
        """Regular-season game id (All-Star excluded) -> its 1-based position in id order (kept per
        schedule: it is asked for every listed game).

        A regular-season game the ledger processed keeps its place even when the provider's schedule
        no longer lists it (its counts are stored; renumbering would break every later sync): it is
        quarantined as ``vanished_from_schedule`` and reported, once.
        """
        games = self.schedule(season)
        if season not in self.numbers:
            regular = {
                g.id
                for g in games
                if not g.postseason and not g.all_star and not is_all_star(g.home_team, g.visitor_team)
            }
            processed = ledger.processed_games
            with self.clock("store"), self.store.transaction() as conn:
                numbered = dict(
                    conn.execute(
                        select(processed.c.game_id, processed.c.game_number).where(
                            processed.c.season == season, processed.c.game_number.is_not(None)
                        )
                    ).all()
                )
                vanished = sorted(int(game_id) for game_id in numbered if int(game_id) not in regular)
                for game_id in vanished:
                    self._vanished(conn, season, game_id, int(numbered[game_id]))
            ordered = sorted(regular | set(vanished))
            self.numbers[season] = {game_id: number for number, game_id in enumerate(ordered, start=1)}
        return self.numbers[season]

    def _vanished(self, conn: Connection, season: int, game_id: int, number: int) -> None:
        line = (
            f"game {game_id} (regular-season game {number} of {season_short(season)}) was processed but the "
            f"provider's schedule no longer lists it: its stored counts are kept"
        )
        payload = json.dumps({"season": season, "game_id": game_id, "game_number": number}, sort_keys=True)
        new = ledger.quarantine_game(conn, season=season, game_id=game_id, kind=ledger.VANISHED, reason=line,
                                     payload=payload)  # fmt: skip
        if new:
            self.report.quarantined += new
            self.report.schedule_changes.append(line)
            self.progress(f"quarantined: {line}")

    def last_regular(self, game: Game) -> bool:
        """Whether ``game`` is its season's last regular-season game (its labels complete with it)."""
        numbers = self.season_numbers(game.season)
        return numbers.get(game.id) == len(numbers)

    def lists(self, game: Game) -> bool:
        """Whether the season's schedule lists the game (asked again once: schedules change)."""
        if any(g.id == game.id for g in self.schedule(game.season)):
            return True
        return any(g.id == game.id for g in self.schedule(game.season, refresh=True))

    def expected_next(self, cursor: tuple[int, int] | None, first: Game) -> Game | None:
        """The game that must come next after ``cursor``: the next one of the API's schedule."""
        if cursor is None:
            return None  # nothing processed yet: the API's first final game starts the ledger
        season, game_id = cursor
        for candidate_season in (season, season + 1):
            if candidate_season > first.season:
                break
            for game in self.schedule(candidate_season):
                if (candidate_season, game.id) > (season, game_id):
                    return game
        return None


__all__ = ["Schedules"]
