"""Loading Kaggle-schema shot-logs rows (a file, or a POST /shots body) into the store, idempotently.

Every row ends in exactly one bucket: inserted, duplicate (same key and same
typed values already stored) or quarantined (with a reason). Re-running the
same file changes nothing. Two ingests at once of different values for the same
key: one is stored, the other's rows are quarantined as conflicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shot_platform.core.text_table import TableFileError, TextTable, read_text_table
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


class ShotFileError(TableFileError):
    """The file itself cannot be used (missing, a directory, empty, corrupt, not the shot-logs header)."""


@dataclass
class IngestReport:
    """What one ingest did; printed by the CLI and attached to asset metadata."""

    source: str
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    conflicts: int = 0  # of the quarantined: same key as a stored row (or an earlier row), other values
    cleaned: dict[str, int] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)  # {"line", "reason"} of this file's quarantined rows

    def summary(self) -> str:
        cleaned = ", ".join(f"{rule}={count}" for rule, count in sorted(self.cleaned.items())) or "none"
        return (
            f"{self.source}: {self.rows_read} rows read, {self.inserted} inserted, "
            f"{self.duplicates} duplicate, {self.quarantined} quarantined "
            f"({self.conflicts} conflicting keys, {self.quarantined_new} new in quarantine); "
            f"cleaning rules applied: {cleaned}"
        )


def read_shot_file(path: str | Path) -> TextTable:
    """Read a labelled shot-logs file for ingest: every Kaggle column must be there."""
    return read_shot_table(path, SHOT_LOG_COLUMNS)


def read_shot_table(path: str | Path, required: tuple[str, ...] = CONTEXT_COLUMNS) -> TextTable:
    """Read a shot-logs CSV (optionally gzip) as text, so that quarantine keeps raw values."""
    try:
        return read_text_table(path, required, WHAT)
    except TableFileError as error:
        raise ShotFileError(str(error)) from None


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


def _quarantine_frame(
    raw: pd.DataFrame, rejected: pd.Series, lines: np.ndarray, extras: dict[int, list[str]], source: str
) -> pd.DataFrame:
    positions = raw.index.get_indexer(rejected.index)
    records = raw.iloc[positions].astype(object).to_dict("records")
    payloads = []
    for position, record in zip(positions, records, strict=True):
        record = {key: None if pd.isna(value) else value for key, value in record.items()}
        if position in extras:
            record["_extra_values"] = extras[position]
        payloads.append(json.dumps(record))
    return pd.DataFrame(
        {
            # Identity of a quarantined row: its raw text (there are no typed values to compare).
            "row_hash": [hashlib.blake2b(p.encode(), digest_size=8).hexdigest() for p in payloads],
            "source": source,
            "line": lines[positions],
            "reason": rejected.to_numpy(),
            "raw": payloads,
        }
    )


def ingest_shot_frame(
    store: ShotStore,
    raw: pd.DataFrame,
    source: str,
    progress: Callable[[int, int], None] | None = None,
    lines: np.ndarray | None = None,
    problems: pd.Series | None = None,
    extras: dict[int, list[str]] | None = None,
) -> IngestReport:
    """Validate, clean and store raw text rows; see the module docstring for the buckets.

    ``lines`` gives each row's line in its file (default: 1, 2, ... its position in a
    request body); ``problems`` a shape problem per row found while reading (wrong
    number of values), which quarantines the row.
    """
    report = IngestReport(source=source, rows_read=len(raw))
    # Every shot-logs column, missing ones empty (a request body may leave out optional fields);
    # other columns are kept for the quarantine's raw record.
    others = [column for column in raw.columns if column not in SHOT_LOG_COLUMNS]
    raw = raw.reset_index(drop=True).reindex(columns=[*SHOT_LOG_COLUMNS, *others])
    lines = np.arange(1, len(raw) + 1) if lines is None else np.asarray(lines)
    extras = extras or {}
    validation = validate_shots(raw, require_outcome=True)
    reasons = validation.reasons.copy()
    if problems is not None:
        shaped = problems.reset_index(drop=True)
        bad_shape = (shaped != "").to_numpy()
        # A row with too many or too few values is shifted: its other reasons are noise.
        reasons[bad_shape] = shaped[bad_shape]

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
    positions = raw.index.get_indexer(rejected.index)
    report.rejected = [{"line": int(lines[p]), "reason": reason} for p, reason in zip(positions, rejected, strict=True)]
    if len(rejected):
        report.quarantined_new = store.quarantine(_quarantine_frame(raw, rejected, lines, extras, source))
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


def ingest_shot_file(
    store: ShotStore, path: str | Path, progress: Callable[[int, int], None] | None = None
) -> IngestReport:
    """Read and ingest one file; raises ShotFileError only when the file itself is unusable."""
    table = read_shot_file(path)
    return ingest_shot_frame(
        store,
        table.frame,
        source=Path(path).name,
        progress=progress,
        lines=table.lines,
        problems=table.problems,
        extras=table.extras,
    )
