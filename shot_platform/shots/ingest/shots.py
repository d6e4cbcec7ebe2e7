"""Loading Kaggle-schema shot-logs rows (a file, or a POST /shots body) into the store, idempotently.

Every row ends in exactly one bucket: inserted, duplicate (same key and same
typed values already stored) or quarantined (with a reason). Re-running the
same file changes nothing. Two ingests at once of different values for the same
key: one is stored, the other's rows are quarantined as conflicts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from shot_platform.core.bulk import Progress
from shot_platform.core.ingest import rows as kit
from shot_platform.core.ingest.report import IngestReport
from shot_platform.core.ingest.text_table import TextTable
from shot_platform.shots.ingest.cleaning import clean_shots
from shot_platform.shots.ingest.validation import parse_matchup, validate_shots
from shot_platform.shots.schema import CONTEXT_COLUMNS, SHOT_KEY, SHOT_LOG_COLUMNS
from shot_platform.shots.store import ShotStore

KEY_LOWER = ["game_id", "player_id", "shot_number"]
CONFLICT = (
    "conflicts with the stored row for this GAME_ID, player_id, SHOT_NUMBER (stored values are never overwritten)"
)
FILE_CONFLICT = "duplicate key in the file with different values (the first row with this key is kept)"
WHAT = "Kaggle shot-logs"


ShotFileError = kit.IngestFileError  # the name the CLI catches: the file itself cannot be used


def read_shot_file(path: str | Path) -> TextTable:
    """Read a labelled shot-logs file for ingest: every Kaggle column must be there."""
    return read_shot_table(path, SHOT_LOG_COLUMNS)


def read_shot_table(path: str | Path, required: tuple[str, ...] = CONTEXT_COLUMNS) -> TextTable:
    """Read a shot-logs CSV (optionally gzip) as text, so that quarantine keeps raw values."""
    return kit.read_table(path, required, WHAT)


def typed_hashes(typed: pd.DataFrame) -> pd.Series:
    """16-hex-digit hash of a row's typed shot-log values: `18` and `18.0` hash alike."""
    canonical = {}
    for column in SHOT_LOG_COLUMNS:
        values = typed[column]
        if pd.api.types.is_float_dtype(values):
            # + 0.0 folds -0.0 into 0.0; str(float) is the shortest text that round-trips.
            text = (values + 0.0).astype(str).where(values.notna(), "")
        else:
            text = values.astype("string").fillna("")
        canonical[column] = text.astype(str)
    hashed = pd.util.hash_pandas_object(pd.DataFrame(canonical, index=typed.index), index=False)
    return hashed.map(lambda value: f"{value:016x}")


def ingest_shot_frame(store: ShotStore, rows: kit.Rows, source: str, progress: Progress | None = None) -> IngestReport:
    """Validate, clean and store raw text rows; see the module docstring for the buckets.

    ``rows``: a file's table as read (its lines, shape problems and extra values), or a request
    body's rows (lines 1, 2, ... their position in the body).
    """
    table = kit.as_table(rows, first_line=1)
    raw, lines, extras = table.frame, table.lines, table.extras
    report = IngestReport(source=source, rows_read=len(raw))
    # Every shot-logs column, missing ones empty (a request body may leave out optional fields);
    # other columns are kept for the quarantine's raw record.
    others = [column for column in raw.columns if column not in SHOT_LOG_COLUMNS]
    raw = raw.reset_index(drop=True).reindex(columns=[*SHOT_LOG_COLUMNS, *others])
    validation = validate_shots(raw, require_outcome=True)
    reasons = kit.with_shape_problems(validation.reasons.copy(), table.problems)

    valid = reasons == ""
    typed = validation.typed[valid].copy()
    typed["row_hash"] = typed_hashes(typed) if len(typed) else pd.Series(dtype=object)
    keys = typed[list(SHOT_KEY)].astype("int64")
    keys.columns = KEY_LOWER
    keys["row_hash"] = typed["row_hash"]

    # Same key twice in the file: identical copies are duplicates, differing ones are quarantined.
    repeated = keys.duplicated(KEY_LOWER, keep="first")
    identical = keys.duplicated([*KEY_LOWER, "row_hash"], keep="first")
    report.duplicates += int(identical.sum())
    conflicting = keys.index[repeated & ~identical]
    reasons[conflicting] = FILE_CONFLICT
    report.conflicts += len(conflicting)

    fresh = keys[~repeated]
    stored = _against_store(store, fresh, reasons, report)
    report.duplicates += len(stored)

    new_index = fresh.index.difference(stored)
    new_index = new_index[reasons[new_index] == ""]
    if len(new_index):
        report.inserted = _insert_new(store, typed.loc[new_index], source, report, progress)
        # Another ingest may have stored some of these keys since we looked: compare again.
        if report.inserted < len(new_index):
            same = _against_store(store, fresh.loc[new_index], reasons, report)
            report.duplicates += len(same) - report.inserted  # our own rows match themselves

    rejected = reasons[reasons != ""]
    report.quarantined = len(rejected)
    report.rejected = kit.rejected_lines(rejected, lines)
    if len(rejected):
        report.quarantined_new = store.quarantine(kit.rejected_rows(raw, rejected, lines, extras, source))
    return report


def _against_store(store: ShotStore, keys: pd.DataFrame, reasons: pd.Series, report: IngestReport) -> pd.Index:
    """Mark keys stored with other values as conflicts; returns the rows stored with the same values."""
    if keys.empty:
        return keys.index
    stored = store.stored_hashes(keys)
    merged = keys.reset_index().merge(stored, on=KEY_LOWER, how="left", suffixes=("", "_stored")).set_index("index")
    already = merged["row_hash_stored"].notna()
    same = already & (merged["row_hash_stored"] == merged["row_hash"])
    conflicting = merged.index[already & ~same]
    reasons[conflicting] = CONFLICT
    report.conflicts += len(conflicting)
    return merged.index[same]


def _insert_new(
    store: ShotStore,
    typed: pd.DataFrame,
    source: str,
    report: IngestReport,
    progress: Callable[[int, int], None] | None,
) -> int:
    cleaned = clean_shots(typed[list(SHOT_LOG_COLUMNS)])
    cleaned = cleaned.join(parse_matchup(cleaned["MATCHUP"]).drop(columns="is_away"))
    cleaned["row_hash"] = typed["row_hash"]
    cleaned["source"] = source
    notes = cleaned["cleaning_notes"].str.split(";").explode()
    report.cleaned = {rule: int(count) for rule, count in notes[notes != ""].value_counts().items()}
    return store.insert_shots(cleaned, progress=progress)


def ingest_shot_file(store: ShotStore, path: str | Path, progress: Progress | None = None) -> IngestReport:
    """Read and ingest one file; raises ShotFileError only when the file itself is unusable."""
    return kit.ingest_file(ingest_shot_frame, read_shot_file, store, path, progress)
