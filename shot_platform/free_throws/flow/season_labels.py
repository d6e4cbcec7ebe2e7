"""The season's labels: a player beats last season's made count during the season (beat 1, known at
once); at the season's last regular-season game every other player's label is known (beat 0)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.flow.batch_writer import BatchWriter
from shot_platform.free_throws.flow.season import SeasonState
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.store import tables


def write_labels(writer: BatchWriter, state: SeasonState, rows: np.ndarray, beat: int) -> int:
    """Labels of population ``rows`` (their made count so far); returns how many had none before."""
    frame = pd.DataFrame(
        {
            "season": state.season,
            "player": state.population[rows].astype(str),
            "last_made": state.last[0, rows].astype(np.int64),
            "made": state.so_far[0, rows].astype(np.int64),
            "beat": beat,
        }
    )
    writer.queue(tables.free_throw_labels, frame, updated=("made", "beat"))
    new = int((~state.labelled[rows]).sum())
    state.labelled[rows] = True
    return new


def complete_season(
    conn: Connection, writer: BatchWriter, state: SeasonState, progress: Callable[[str], None]
) -> tuple[list[int], int]:
    """The regular season is over: every label is known (final made counts for all). Returns the
    season's quarantined regular-season games (labels held back) and the labels made new.

    Unless one of its games was quarantined: its free throws are missing, so a "not beaten" may be
    wrong (a beat is right: counts only grow). Those labels are held back and the season is not
    complete for labels or retraining (``ledger.held_back_games``, ``live_metrics.store_progress``).
    """
    quarantined = ledger.held_back_games(conn)
    held_back = set(quarantined.get(state.season, [])) | writer.quarantined_regular(state.season)
    new = 0
    if not held_back:
        new += write_labels(writer, state, np.flatnonzero(~state.beaten), beat=0)
    new += write_labels(writer, state, np.flatnonzero(state.beaten), beat=1)  # final made counts
    if held_back:
        progress(
            f"{season_short(state.season)}: regular season over, but {len(held_back)} of its games are "
            f"quarantined ({', '.join(map(str, sorted(held_back)))}): {int((~state.beaten).sum())} "
            "'not beaten' labels held back and the season is not used for retraining"
        )
    else:
        progress(
            f"{season_short(state.season)}: regular season complete, {len(state.population)} labels "
            f"({int(state.beaten.sum())} beaten)"
        )
    if quarantined.get(state.season - 1):  # last season's counts are this season's bar
        progress(
            f"{season_short(state.season)}: its labels compare with {season_short(state.season - 1)}, which has "
            "quarantined games: the season is not used for retraining"
        )
    return sorted(held_back), new


__all__ = ["complete_season", "write_labels"]
