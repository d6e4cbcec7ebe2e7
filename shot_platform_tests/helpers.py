"""Test helpers that turn synthetic Kaggle rows into what the pipeline sees after ingest."""

from __future__ import annotations

import pandas as pd

from shot_platform.shots.ingest.cleaning import clean_shots
from shot_platform.shots.ingest.validation import parse_matchup


def cleaned(raw: pd.DataFrame) -> pd.DataFrame:
    """Cleaned shots with game_date, as the store returns them."""
    out = clean_shots(raw.reset_index(drop=True))
    return out.join(parse_matchup(out["MATCHUP"]).drop(columns="is_away"))
