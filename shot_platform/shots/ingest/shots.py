"""Loading a Kaggle-schema shot-logs file into the store, idempotently.

Every row ends in exactly one bucket: inserted, duplicate (same key and same
content already stored) or quarantined (with a reason). Re-running the same
file changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shot_platform.shots.ingest.cleaning import clean_shots
from shot_platform.shots.ingest.validation import parse_matchup, rejection_reasons
from shot_platform.shots.schema import CONTEXT_COLUMNS, SHOT_KEY, SHOT_LOG_COLUMNS
from shot_platform.shots.store import ShotStore

KEY_LOWER = ["game_id", "player_id", "shot_number"]


class ShotFileError(Exception):
    """The file itself cannot be used (missing, unreadable, not a shot-logs file)."""


@dataclass
class IngestReport:
    """What one ingest did; printed by the CLI and attached to asset metadata."""

    source: str
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    cleaned: dict[str, int] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)  # {"line", "reason"} of this file's quarantined rows

    def summary(self) -> str:
        cleaned = ", ".join(f"{rule}={count}" for rule, count in sorted(self.cleaned.items())) or "none"
        return (
            f"{self.source}: {self.rows_read} rows read, {self.inserted} inserted, "
            f"{self.duplicates} duplicate, {self.quarantined} quarantined "
            f"({self.quarantined_new} new in quarantine); cleaning rules applied: {cleaned}"
        )


def read_shot_file(path: str | Path) -> pd.DataFrame:
    """Read a labelled shot-logs file for ingest: every Kaggle column must be there."""
    return read_shot_table(path, SHOT_LOG_COLUMNS)


def read_shot_table(path: str | Path, required: tuple[str, ...] = CONTEXT_COLUMNS) -> pd.DataFrame:
    """Read a shot-logs CSV (optionally gzip) as text, so that quarantine keeps raw values."""
    path = Path(path)
    if not path.is_file():
        raise ShotFileError(f"{path}: no such file. Give the path of a Kaggle shot_logs .csv or .csv.gz file.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as error:
        raise ShotFileError(f"{path}: cannot be read as CSV ({error}). Is it a (gzipped) CSV file?") from error
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ShotFileError(
            f"{path}: not a shot-logs file, columns missing: {', '.join(missing)}. "
            "Expected the Kaggle 'NBA shot logs' header (see README, Data)."
        )
    return frame


def row_hashes(raw: pd.DataFrame) -> pd.Series:
    """Stable 16-hex-digit hash of a raw row's shot-log values."""
    values = raw.reindex(columns=list(SHOT_LOG_COLUMNS)).astype("string").fillna("")
    hashed = pd.util.hash_pandas_object(values, index=False)
    return hashed.map(lambda value: f"{value:016x}")


def _quarantine_frame(raw: pd.DataFrame, reasons: pd.Series, source: str) -> pd.DataFrame:
    payload = raw.astype(object).where(raw.notna(), None)
    return pd.DataFrame(
        {
            "row_hash": raw["_row_hash"],
            "source": source,
            "line": raw.index.to_numpy() + 2,  # header is line 1
            "reason": reasons,
            "raw": [json.dumps(record) for record in payload.drop(columns="_row_hash").to_dict("records")],
        },
        index=raw.index,
    )


def ingest_shot_frame(
    store: ShotStore,
    raw: pd.DataFrame,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Validate, clean and store raw text rows; see the module docstring for the buckets."""
    report = IngestReport(source=source, rows_read=len(raw))
    raw = raw.reset_index(drop=True)
    raw["_row_hash"] = row_hashes(raw)
    reasons = rejection_reasons(raw.drop(columns="_row_hash"), require_outcome=True)

    valid = raw[reasons == ""]
    keys = valid[list(SHOT_KEY)].apply(pd.to_numeric).astype("int64")
    keys.columns = KEY_LOWER
    keys["row_hash"] = valid["_row_hash"]

    # Same key twice in the file: identical copies are duplicates, differing ones are quarantined.
    repeated = keys.duplicated(KEY_LOWER, keep="first")
    identical = keys.duplicated([*KEY_LOWER, "row_hash"], keep="first")
    report.duplicates += int(identical.sum())
    reasons[keys.index[repeated & ~identical]] = "duplicate key in the file with different values"

    fresh = keys[~repeated]
    stored = store.stored_hashes(fresh)
    merged = fresh.reset_index().merge(stored, on=KEY_LOWER, how="left", suffixes=("", "_stored")).set_index("index")
    already = merged["row_hash_stored"].notna()
    same = already & (merged["row_hash_stored"] == merged["row_hash"])
    report.duplicates += int(same.sum())
    reasons[merged.index[already & ~same]] = "conflicts with the stored row for this GAME_ID, player_id, SHOT_NUMBER"

    new_rows = raw.loc[merged.index[~already]]
    rejected = reasons != ""
    report.quarantined = int(rejected.sum())
    report.rejected = [
        {"line": int(index) + 2, "reason": reason} for index, reason in reasons[rejected].items()
    ]  # header is line 1
    report.quarantined_new = store.quarantine(_quarantine_frame(raw[rejected], reasons[rejected], source))

    if not new_rows.empty:
        cleaned = clean_shots(new_rows.drop(columns="_row_hash"))
        cleaned = cleaned.join(parse_matchup(cleaned["MATCHUP"]).drop(columns="is_away"))
        cleaned["row_hash"] = new_rows["_row_hash"]
        cleaned["source"] = source
        notes = cleaned["cleaning_notes"].str.split(";").explode()
        report.cleaned = {rule: int(count) for rule, count in notes[notes != ""].value_counts().items()}
        report.inserted = store.insert_shots(cleaned, progress=progress)
        # A concurrent ingest may have inserted the same keys between our read and write.
        report.duplicates += len(cleaned) - report.inserted
    return report


def ingest_shot_file(
    store: ShotStore, path: str | Path, progress: Callable[[int, int], None] | None = None
) -> IngestReport:
    """Read and ingest one file; raises ShotFileError only when the file itself is unusable."""
    raw = read_shot_file(path)
    return ingest_shot_frame(store, raw, source=Path(path).name, progress=progress)
