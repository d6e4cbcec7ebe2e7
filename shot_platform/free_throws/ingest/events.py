"""Loading a Kaggle-schema free-throw file into the store, idempotently.

Every row ends in exactly one bucket: inserted, duplicate (its key is stored with the same values,
or it repeats an earlier row of the file exactly) or quarantined (with a reason). Re-running the
same file changes nothing.

The key is (season, game_id, attempt): the file has no attempt number, so ``attempt`` is the
row's 1-based position among the distinct rows of its game_id in file order, counted before
validation so that fixing a bad row later does not renumber the others. A file must therefore
hold whole games, in order (the Kaggle file and the generator do); rows of a game that is already
stored with other values conflict and are quarantined, never overwriting. (game_id alone is unique
across the eight seasons of the file, but ids are a provider's; the season keeps them apart.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shot_platform.core.frame_validation import canonical_integer_text
from shot_platform.core.text_table import TableFileError, TextTable, read_text_table
from shot_platform.free_throws.ingest.validation import validate_free_throws
from shot_platform.free_throws.rules import FREE_THROW_RULES
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.store import FreeThrowStore

KEY = ["season_start", "game_id", "attempt"]
WHAT = "Kaggle 'NBA free throws'"
INTEGER_COLUMNS = tuple(rule.column for rule in FREE_THROW_RULES.columns if rule.integral)


class FreeThrowFileError(TableFileError):
    """The file itself cannot be used (missing, a directory, empty, not CSV/gzip, wrong header)."""


@dataclass
class IngestReport:
    """What one ingest did; printed by the CLI and attached to asset metadata."""

    source: str
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    rejected: list[dict] = field(default_factory=list)  # {"line", "reason"} of this file's quarantined rows

    def summary(self) -> str:
        return (
            f"{self.source}: {self.rows_read} rows read, {self.inserted} inserted, "
            f"{self.duplicates} duplicate, {self.quarantined} quarantined ({self.quarantined_new} new in quarantine)"
        )


def read_free_throw_file(path: str | Path) -> TextTable:
    """Read a free-throw CSV (optionally gzip) as text with the platform's one CSV policy
    (``core.text_table``): each row with its file line, malformed rows kept with their problem."""
    try:
        table = read_text_table(path, FREE_THROW_COLUMNS, WHAT)
    except TableFileError as error:
        raise FreeThrowFileError(str(error)) from None
    table.frame = table.frame[list(FREE_THROW_COLUMNS)]
    return table


def row_hashes(raw: pd.DataFrame) -> pd.Series:
    """Stable 16-hex-digit hash of a row's values: text as written (empty and missing the same), integer
    columns written the one way (``321030001.0`` and ``321030001`` are the same row)."""
    values = raw.reindex(columns=list(FREE_THROW_COLUMNS)).astype(object)
    values = values.where(values.notna(), "")
    for column in INTEGER_COLUMNS:
        values[column] = canonical_integer_text(values[column])
    try:
        hashed = pd.util.hash_pandas_object(values, index=False)
    except UnicodeEncodeError:  # undecodable bytes (lone surrogates): such rows are quarantined; hash their escapes
        escaped = values.map(lambda value: value.encode("utf-8", "backslashreplace").decode("utf-8"))
        hashed = pd.util.hash_pandas_object(escaped, index=False)
    return hashed.map(lambda value: f"{value:016x}")


def _quarantine_frame(
    raw: pd.DataFrame, reasons: pd.Series, lines: np.ndarray, extras: dict[int, list[str]], source: str
) -> pd.DataFrame:
    payload = raw[list(FREE_THROW_COLUMNS)].astype(object).where(raw[list(FREE_THROW_COLUMNS)].notna(), None)
    records = []
    for position, record in zip(raw.index, payload.to_dict("records"), strict=True):
        if position in extras:
            record["_extra_values"] = extras[position]
        records.append(json.dumps(record))
    return pd.DataFrame(
        {
            "row_hash": raw["_row_hash"],
            "source": source,
            "line": lines[raw.index.to_numpy()],
            "reason": reasons,
            "raw": records,
        },
        index=raw.index,
    )


def typed_rows(typed: pd.DataFrame) -> pd.DataFrame:
    """Valid rows as the table stores them: integers exact, text exactly as read, derived values."""
    rows = typed[[*FREE_THROW_COLUMNS, "season_start", "time_s"]].copy()
    for column in ("game_id", "period", "shot_made", "season_start", "time_s"):
        rows[column] = rows[column].astype("int64")
    return rows


def ingest_free_throw_frame(
    store: FreeThrowStore,
    raw: pd.DataFrame,
    source: str,
    progress: Callable[[int, int], None] | None = None,
    lines: np.ndarray | None = None,
    problems: pd.Series | None = None,
    extras: dict[int, list[str]] | None = None,
) -> IngestReport:
    """Validate and store raw text rows; see the module docstring for the buckets and the key.

    ``lines`` gives each row's line in its file (default: its position + 2, as if under a header);
    ``problems`` what is wrong with a row's shape or bytes (found by the reader), which quarantines
    it; ``extras`` the values beyond the header, kept in the quarantine's raw record.
    """
    report = IngestReport(source=source, rows_read=len(raw))
    raw = raw.reset_index(drop=True)
    lines = np.arange(2, len(raw) + 2) if lines is None else np.asarray(lines)
    shaped = np.zeros(len(raw), dtype=bool) if problems is None else (problems.to_numpy() != "")
    extras = extras or {}
    raw["_row_hash"] = row_hashes(raw)
    # The game as its integer is written the one way ('321030001.0' is game 321030001), so that
    # attempts are numbered the same however the file spells it.
    game_text = canonical_integer_text(raw["game_id"].astype("string").str.strip())
    # A malformed row is never a duplicate: its values may be shifted.
    repeat = pd.DataFrame({"game": game_text, "hash": raw["_row_hash"]}).duplicated() & ~shaped
    report.duplicates += int(repeat.sum())
    distinct = raw[~repeat]
    attempt = distinct.groupby(game_text[~repeat], sort=False).cumcount() + 1

    # A row stored before with the same game, attempt and text is a duplicate without validating it
    # again: a re-ingest of the real file is then one lookup, not 500,000 rows through the rules.
    game_number = pd.to_numeric(game_text[~repeat], errors="coerce").astype("float64")  # exact below 2**53
    whole = game_number.notna() & (game_number % 1 == 0) & (game_number.abs() < 2**53)
    stored = store.stored_hashes(game_number[whole].astype("int64").unique())
    candidates = pd.DataFrame(
        {"game_id": game_number.where(whole, -1).astype("int64"), "attempt": attempt, "row_hash": distinct["_row_hash"]}
    )
    known = candidates.reset_index().merge(stored[["game_id", "attempt", "row_hash"]]).set_index("index").index
    known = known[~shaped[known]]
    report.duplicates += len(known)
    fresh = distinct.drop(index=known)

    validation = validate_free_throws(fresh[list(FREE_THROW_COLUMNS)], file_rows=distinct[list(FREE_THROW_COLUMNS)])
    reasons = validation.reasons.copy()
    bad_shape = shaped[fresh.index]
    if bad_shape.any():  # a shifted or undecodable row: its other reasons are noise
        reasons[bad_shape] = problems.to_numpy()[fresh.index[bad_shape]]
    usable = (reasons == "").to_numpy()
    valid = fresh[usable]
    rows = typed_rows(validation.typed[usable]).assign(
        attempt=attempt[valid.index].astype("int64"), row_hash=valid["_row_hash"]
    )
    merged = rows.reset_index().merge(stored, on=KEY, how="left", suffixes=("", "_stored")).set_index("index")
    already = merged["row_hash_stored"].notna()
    same = already & (merged["row_hash_stored"] == merged["row_hash"])
    report.duplicates += int(same.sum())
    reasons[merged.index[already & ~same]] = (
        "conflicts with the stored row of this season, game_id and attempt (the game's rows differ from the "
        "stored ones; a file must hold whole games in order)"
    )

    rejected = reasons != ""
    report.quarantined = int(rejected.sum())
    report.rejected = [{"line": int(lines[index]), "reason": reason} for index, reason in reasons[rejected].items()]
    report.quarantined_new = store.quarantine(
        _quarantine_frame(fresh[rejected], reasons[rejected], lines, extras, source)
    )
    new_rows = rows.loc[merged.index[~already]].assign(source=source)
    if not new_rows.empty:
        report.inserted = store.insert_events(new_rows, progress=progress)
        # A concurrent ingest may have inserted the same keys between our read and write.
        report.duplicates += len(new_rows) - report.inserted
    return report


def ingest_free_throw_file(
    store: FreeThrowStore, path: str | Path, progress: Callable[[int, int], None] | None = None
) -> IngestReport:
    """Read and ingest one file; raises FreeThrowFileError only when the file itself is unusable."""
    table = read_free_throw_file(path)
    return ingest_free_throw_frame(
        store,
        table.frame,
        source=Path(path).name,
        progress=progress,
        lines=table.lines,
        problems=table.problems,
        extras=table.extras,
    )


__all__ = [
    "FreeThrowFileError",
    "IngestReport",
    "ingest_free_throw_file",
    "ingest_free_throw_frame",
    "read_free_throw_file",
]
