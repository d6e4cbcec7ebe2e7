"""The season's counts: each regular-season game's per-player made and attempted (what ingest
accepted of its plays), added to the season's state, and what they change: per-game count rows,
feature rows, beat labels and the points every player is predicted at."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, select

from shot_platform.core.frame_validation import canonical_integer_text
from shot_platform.core.scorer import CountingScorer
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.batch_writer import BatchWriter
from shot_platform.free_throws.flow.feed import Fetched, plays_frame
from shot_platform.free_throws.flow.report import SyncReport
from shot_platform.free_throws.flow.season import SeasonState, load_state
from shot_platform.free_throws.flow.season_labels import write_labels
from shot_platform.free_throws.ingest.events import ingest_free_throw_frame
from shot_platform.free_throws.schema import PLAYER, REGULAR, season_short
from shot_platform.free_throws.store import FreeThrowStore, tables

NO_COUNTS = pd.DataFrame({PLAYER: pd.Series(dtype=object), "made": pd.Series(dtype="int64"),
                          "attempted": pd.Series(dtype="int64")})  # fmt: skip


def stored_before(conn: Connection, fetched: list[Fetched]) -> bool:
    """Whether any event of the batch's games is stored already (a file ingested before the sync)."""
    events = tables.free_throws
    return any(
        conn.execute(
            select(func.count()).where(events.c.season_start == season, events.c.game_id.in_(ids))
        ).scalar_one()
        for season, ids in _ids_by_season(fetched).items()
    )


def ingest_batch(
    store: FreeThrowStore, conn: Connection, fetched: list[Fetched], report: SyncReport
) -> dict[int, pd.DataFrame]:
    """The batch's plays through the one free-throw ingest path, all at once; returns ``game_counts``
    of what it stored."""
    plays = plays_frame(fetched)
    if plays is None:
        return game_counts(conn, fetched, None)
    new_games = not stored_before(conn, fetched)
    source = f"scores-api games {fetched[0].game.id}..{fetched[-1].game.id}"
    ingest = ingest_free_throw_frame(store, plays, source)
    report.rows_inserted += ingest.inserted
    report.quarantined += ingest.quarantined_new
    return game_counts(conn, fetched, plays if new_games and ingest.inserted == len(plays) else None)


def game_counts(conn: Connection, fetched: list[Fetched], stored_plays: pd.DataFrame | None) -> dict[int, pd.DataFrame]:
    """Per game of the batch with a box score: per-player made and attempted of its stored
    regular-season events (what ingest accepted).

    ``stored_plays``: the batch's plays when they are exactly its games' stored events (nothing of
    them was stored before the batch, and ingest inserted every play), counted without reading them
    back; otherwise (None: a file ingested before, repeated, conflicting or invalid plays) the counts
    come from the store."""
    return _per_game(_stored_events(conn, fetched) if stored_plays is None else _regular_plays(fetched, stored_plays))


def _ids_by_season(fetched: list[Fetched]) -> dict[int, list[int]]:
    by_season: dict[int, list[int]] = {}
    for item in fetched:
        if item.box is not None:
            by_season.setdefault(item.game.season, []).append(item.game.id)
    return by_season


def _regular_plays(fetched: list[Fetched], plays: pd.DataFrame) -> pd.DataFrame:
    """The plays that count (regular season, of their game's season), as the store types them."""
    game_season = np.repeat(
        [item.game.season for item in fetched if item.box is not None],
        [len(item.box.plays) for item in fetched if item.box is not None],
    )
    # Every play passed validation: season 'YYYY - YYYY', playoffs a choice, both exact text; integers
    # written any way that spells a whole number (``canonical_integer_text``, as ingest hashes them).
    season_start = plays["season"].str.slice(0, 4).astype("int64").to_numpy()
    keep = (season_start == game_season) & (plays["playoffs"] == REGULAR).to_numpy()
    kept = plays[keep]
    return pd.DataFrame(
        {
            "game_id": canonical_integer_text(kept["game_id"]).astype("int64"),
            PLAYER: kept[PLAYER],
            "shot_made": canonical_integer_text(kept["shot_made"]).astype("int64"),
        }
    )


def _stored_events(conn: Connection, fetched: list[Fetched]) -> pd.DataFrame:
    events = tables.free_throws
    frames = [
        pd.DataFrame(
            conn.execute(
                select(events.c.game_id, events.c.player, events.c.shot_made).where(
                    events.c.season_start == season, events.c.game_id.in_(ids), events.c.playoffs == REGULAR
                )
            ).all(),
            columns=["game_id", PLAYER, "shot_made"],
        )
        for season, ids in _ids_by_season(fetched).items()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["game_id", PLAYER, "shot_made"])


def _per_game(events: pd.DataFrame) -> dict[int, pd.DataFrame]:
    counts = (
        events.groupby(["game_id", PLAYER], sort=True)["shot_made"]
        .agg(made="sum", attempted="size")
        .reset_index()
        .astype({"game_id": "int64", "made": "int64", "attempted": "int64"})
    )
    # Slices of one sorted frame: a groupby into one frame per game costs more than the rest of this.
    ids = counts["game_id"].to_numpy()
    if not len(ids):
        return {}
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    per_game = counts[[PLAYER, "made", "attempted"]]
    return {int(ids[a]): per_game.iloc[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


def load_season(conn: Connection, season: int, numbers: dict[int, int]) -> SeasonState:
    """The season's schedule stored (game numbers) and its state after the regular-season games processed."""
    schedule = tables.free_throw_schedule
    conn.execute(delete(schedule).where(schedule.c.season == season))
    if numbers:
        conn.execute(
            schedule.insert(), [{"season": season, "game_id": g, "game_number": n} for g, n in numbers.items()]
        )
    processed = ledger.processed_games
    played = conn.execute(
        select(func.coalesce(func.max(processed.c.game_number), 0)).where(processed.c.season == season)
    ).scalar_one()
    return load_state(conn, season, numbers, int(played))


def add_regular_game(
    writer: BatchWriter,
    state: SeasonState,
    game_id: int,
    number: int,
    counts: pd.DataFrame | None,
    scorer: CountingScorer | None,
) -> int:
    """Game ``number`` of the season into its state and the writer; returns the labels it made new."""
    if number != state.games_played + 1:
        raise RuntimeError(
            f"game {game_id} is regular-season game {number} of {season_short(state.season)} but "
            f"{state.games_played} are recorded: the ledger and the schedule disagree"
        )
    changed = np.zeros(0, dtype=np.int64)
    if counts is not None and len(counts):
        writer.queue(
            tables.free_throw_player_games, counts.assign(season=state.season, game_id=game_id, game_number=number)
        )
        changed = state.add_game(counts)
    if not state.predicted:
        return 0
    if len(changed):  # the rows are built at flush, for the whole batch at once (``points_frame``)
        writer.feature_point(state, number, changed)
    beaten = changed[(state.so_far[0, changed] > state.last[0, changed]) & ~state.beaten[changed]]
    new_labels = write_labels(writer, state, beaten, beat=1) if len(beaten) else 0
    state.beaten[beaten] = True
    assert scorer is not None
    writer.prediction_point(scorer, state, number)
    return new_labels


__all__ = ["NO_COUNTS", "add_regular_game", "game_counts", "ingest_batch", "load_season", "stored_before"]
