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

from pathlib import Path

import pandas as pd

from shot_platform.core.bulk import Progress
from shot_platform.core.frame_validation import canonical_integer_text
from shot_platform.core.ingest import rows as kit
from shot_platform.core.ingest.report import IngestReport
from shot_platform.core.ingest.text_table import TextTable
from shot_platform.free_throws.ingest.validation import validate_free_throws
from shot_platform.free_throws.rules import FREE_THROW_RULES
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.store import FreeThrowStore

KEY = ["season_start", "game_id", "attempt"]
WHAT = "Kaggle 'NBA free throws'"
INTEGER_COLUMNS = tuple(rule.column for rule in FREE_THROW_RULES.columns if rule.integral)


FreeThrowFileError = kit.IngestFileError  # the name the CLI catches: the file itself cannot be used
CONFLICT = (
    "conflicts with the stored row of this season, game_id and attempt (the game's rows differ from the "
    "stored ones; a file must hold whole games in order)"
)


def read_free_throw_file(path: str | Path) -> TextTable:
    """Read a free-throw CSV (optionally gzip) as text with the platform's one CSV policy
    (``core.ingest.text_table``): each row with its file line, malformed rows kept with their problem."""
    return kit.read_table(path, FREE_THROW_COLUMNS, WHAT, only_required=True)


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


def typed_rows(typed: pd.DataFrame) -> pd.DataFrame:
    """Valid rows as the table stores them: integers exact, text exactly as read, derived values."""
    rows = typed[[*FREE_THROW_COLUMNS, "season_start", "time_s"]].copy()
    for column in ("game_id", "period", "shot_made", "season_start", "time_s"):
        rows[column] = rows[column].astype("int64")
    return rows


def ingest_free_throw_frame(
    store: FreeThrowStore, rows: kit.Rows, source: str, progress: Progress | None = None
) -> IngestReport:
    """Validate and store raw text rows; see the module docstring for the buckets and the key.

    ``rows``: a file's table as read (its lines, what is wrong with a row's shape or bytes, which
    quarantines it, and the values beyond the header), or rows numbered as if under a header (2, 3, ...).
    """
    table = kit.as_table(rows, first_line=2)
    raw, lines, problems, extras = table.frame, table.lines, table.problems, table.extras
    report = IngestReport(source=source, rows_read=len(raw))
    raw = raw.reset_index(drop=True)
    shaped = problems.to_numpy() != ""
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
    reasons = kit.with_shape_problems(validation.reasons.copy(), problems)
    usable = (reasons == "").to_numpy()
    valid = fresh[usable]
    rows = typed_rows(validation.typed[usable]).assign(
        attempt=attempt[valid.index].astype("int64"), row_hash=valid["_row_hash"]
    )
    merged = rows.reset_index().merge(stored, on=KEY, how="left", suffixes=("", "_stored")).set_index("index")
    already = merged["row_hash_stored"].notna()
    same = already & (merged["row_hash_stored"] == merged["row_hash"])
    report.duplicates += int(same.sum())
    conflicting = merged.index[already & ~same]
    reasons[conflicting] = CONFLICT
    report.conflicts += len(conflicting)

    rejected = reasons[reasons != ""]
    report.quarantined = len(rejected)
    report.rejected = kit.rejected_lines(rejected, lines)
    report.quarantined_new = store.quarantine(
        kit.rejected_rows(fresh[list(FREE_THROW_COLUMNS)], rejected, lines, extras, source, fresh["_row_hash"])
    )
    new_rows = rows.loc[merged.index[~already]].assign(source=source)
    if not new_rows.empty:
        report.inserted = store.insert_events(new_rows, progress=progress)
        # A concurrent ingest may have inserted the same keys between our read and write.
        report.duplicates += len(new_rows) - report.inserted
    return report


def ingest_free_throw_file(store: FreeThrowStore, path: str | Path, progress: Progress | None = None) -> IngestReport:
    """Read and ingest one file; raises FreeThrowFileError only when the file itself is unusable."""
    return kit.ingest_file(ingest_free_throw_frame, read_free_throw_file, store, path, progress)


__all__ = [
    "FreeThrowFileError",
    "IngestReport",
    "ingest_free_throw_file",
    "ingest_free_throw_frame",
    "read_free_throw_file",
]
