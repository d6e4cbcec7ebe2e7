"""Row-level validation of free-throw rows: ``FREE_THROW_RULES`` through the rule vocabulary's
pandas layer, plus the one rule across the rows of a game.

Every rule a row breaks is named in its reason; a rejected row goes to the quarantine with that
reason and its raw values, never silently away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.core.frame_validation import Validation, validate_frame
from shot_platform.free_throws.rules import FREE_THROW_RULES, GAME_COLUMNS, GAME_CONSISTENCY_REASON


def game_consistent(frame: pd.DataFrame) -> pd.Series:
    """False for rows whose game-level values differ from the most common ones of their game_id."""
    game_id = frame["game_id"].astype("string").fillna("")
    parts = [frame[column].astype("string").fillna("") for column in GAME_COLUMNS]
    combo = parts[0].str.cat(parts[1:], sep="\x1f")
    counts = pd.DataFrame({"game_id": game_id, "combo": combo}).value_counts(sort=False).reset_index(name="n")
    counts = counts.sort_values(["game_id", "n"], ascending=[True, False], kind="stable")
    usual = counts.drop_duplicates("game_id").set_index("game_id")["combo"]
    return combo == game_id.map(usual)


def validate_free_throws(frame: pd.DataFrame, file_rows: pd.DataFrame | None = None) -> Validation:
    """Reasons per row ('' when the row can be stored) and the typed values of every column.

    ``file_rows``: every row of the file, when ``frame`` is a part of it (a game's usual values are
    those of all its rows, not only of the rows being validated).
    """
    validation = validate_frame(FREE_THROW_RULES, frame)
    consistent = game_consistent(frame if file_rows is None else file_rows).reindex(frame.index)
    inconsistent = ~consistent.to_numpy(dtype=bool)
    reasons = validation.reasons.to_numpy(dtype=object).copy()
    reasons[inconsistent] = np.where(
        reasons[inconsistent] == "", GAME_CONSISTENCY_REASON, reasons[inconsistent] + "; " + GAME_CONSISTENCY_REASON
    )
    return Validation(reasons=pd.Series(reasons, index=frame.index, dtype=object), typed=validation.typed)


def rejection_reasons(frame: pd.DataFrame) -> pd.Series:
    """One string per row: empty when the row can be stored, else every rule it breaks."""
    return validate_free_throws(frame).reasons
