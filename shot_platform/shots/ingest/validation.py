"""Row-level validation of shot-log rows: which rows are unusable, and why.

Every check is derived from the rule declaration in ``shot_platform.shots.rules``
(see ``core.frame_validation``). A rejected row is never dropped silently: the
reason returned here is what the quarantine table stores next to the raw row.
"""

from __future__ import annotations

import pandas as pd

from shot_platform.core.frame_validation import Validation, validate_frame
from shot_platform.shots.rules import MATCHUP_PATTERN, SCORING_RULES, SHOT_RULES


def parse_matchup(matchup: pd.Series) -> pd.DataFrame:
    """MATCHUP -> game_date, team, is_away, opponent (NaN/NaT where unparseable)."""
    parts = matchup.astype("string").str.extract(MATCHUP_PATTERN)
    date = pd.to_datetime(parts[0].str.title(), format="%b %d, %Y", errors="coerce")
    return pd.DataFrame(
        {
            "game_date": date,
            "team": parts[1],
            "is_away": (parts[2] == "@").fillna(False).astype(bool),
            "opponent": parts[3],
        },
        index=matchup.index,
    )


def validate_shots(frame: pd.DataFrame, require_outcome: bool) -> Validation:
    """Reasons per row ('' when usable) and the typed values.

    ``require_outcome`` is True for ingest (the store holds labelled shots, every
    rule applies) and False for scoring, where outcome columns are ignored
    entirely and the key and MATCHUP may be absent.
    """
    return validate_frame(SHOT_RULES if require_outcome else SCORING_RULES, frame)
