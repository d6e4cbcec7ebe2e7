"""Scoring shots with a stored model: batch over the store (cached) and arbitrary files.

Both go through ``features.frame.build_features``, the same path as training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.core.prediction_cache import PredictionTable, RefreshReport, refresh_predictions, row_hashes
from shot_platform.shots.features.frame import build_features
from shot_platform.shots.ingest.cleaning import clean_shots
from shot_platform.shots.ingest.validation import parse_matchup, validate_shots
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.schema import OUTCOME_COLUMNS
from shot_platform.shots.store import ShotStore

# Scoring a shot with no game date uses each player's latest profile.
CURRENT_PROFILE_DATE = pd.Timestamp("2262-01-01")


SHOT_PREDICTIONS = PredictionTable(["game_id", "player_id", "shot_number"], "feature_hash", "make_probability")


def feature_hashes(features: pd.DataFrame) -> pd.Series:
    """Per-row fingerprint of the model input (rounded so float noise is not a change)."""
    return row_hashes(features.round(9))


def refresh_store_predictions(
    store: ShotStore, model: ShotModel, history: pd.DataFrame, full_refeed: bool = False
) -> tuple[RefreshReport, pd.DataFrame]:
    """Recompute predictions only for rows whose model version or features changed.

    Returns the report and all current predictions joined to their shots.
    """
    shots = store.load_shots()
    features = build_features(shots, history)
    current = pd.DataFrame(
        {
            "game_id": shots["GAME_ID"],
            "player_id": shots["player_id"],
            "shot_number": shots["SHOT_NUMBER"],
            "feature_hash": feature_hashes(features),
        }
    )
    report, probability = refresh_predictions(
        current,
        store.load_predictions(),
        model.version,
        SHOT_PREDICTIONS,
        lambda stale: model.predict_proba(features[stale]),
        store.upsert_predictions,
        full_refeed,
    )
    return report, shots.assign(make_probability=probability, model_version=model.version)


def prepare_for_scoring(raw: pd.DataFrame, problems: pd.Series | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Clean the scorable rows of a raw frame; returns (clean rows, reason per raw row).

    Outcome columns are removed before anything looks at the rows, so they
    cannot change a prediction. ``problems``: a shape problem per row found
    while reading the file (a wrong number of values), which rejects the row.
    """
    context = raw.drop(columns=[c for c in raw.columns if c in OUTCOME_COLUMNS])
    validation = validate_shots(context, require_outcome=False)
    reasons = validation.reasons.copy()
    if problems is not None:
        shaped = (problems != "").to_numpy()
        reasons[shaped] = problems[shaped].to_numpy()
    valid = validation.typed[reasons == ""]
    if valid.empty:
        return valid.assign(game_date=pd.Series(dtype="datetime64[ns]")), reasons
    clean = clean_shots(valid)
    if "MATCHUP" in clean.columns:
        clean["game_date"] = parse_matchup(clean["MATCHUP"])["game_date"]
    else:
        clean["game_date"] = CURRENT_PROFILE_DATE
    return clean, reasons


def score_frame(
    raw: pd.DataFrame, model: ShotModel, history: pd.DataFrame, problems: pd.Series | None = None
) -> pd.DataFrame:
    """The raw rows with make_probability, model_version and rejection_reason added.

    A shot is scored with player records from before its game date (from
    MATCHUP), or with the current profiles when the file has no MATCHUP.
    """
    clean, reasons = prepare_for_scoring(raw, problems)
    probability = pd.Series(np.nan, index=raw.index)
    if not clean.empty:
        probability[clean.index] = model.predict_proba(build_features(clean, history))
    return raw.assign(make_probability=probability, model_version=model.version, rejection_reason=reasons)
