"""The steps every domain's ingest shares around its own rules: reading a file with the one CSV policy,
letting a row's shape problem override its other reasons, and the quarantine record of a refused row.

A domain supplies what is its own (required columns, rules, key, store) as a function that ingests
rows (``store, rows, source, progress``); :func:`ingest_file` reads a file and hands
that function the rows with their lines, shape problems and extra values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.core.bulk import Progress
from shot_platform.core.ingest.report import IngestReport
from shot_platform.core.ingest.text_table import TableFileError, TextTable, read_text_table

IngestFileError = TableFileError  # the file itself cannot be used; the message says what to do
Rows = pd.DataFrame | TextTable  # what a domain ingests: a request body's rows, or a file's table as read


def as_table(rows: Rows, first_line: int) -> TextTable:
    """Rows with their lines: a file's as read, a request body's numbered from ``first_line`` (no
    shape problems, no extra values)."""
    if isinstance(rows, TextTable):
        return rows
    frame = rows.reset_index(drop=True)
    problems = pd.Series("", index=frame.index, dtype=object)
    return TextTable(frame=frame, lines=np.arange(first_line, first_line + len(frame)), problems=problems)


def read_table(path: str | Path, required: Sequence[str], what: str, only_required: bool = False) -> TextTable:
    """A domain's CSV file (optionally gzip) as text; ``only_required`` drops the other columns."""
    table = read_text_table(path, required, what)
    if only_required:
        table.frame = table.frame[list(required)]
    return table


def ingest_file(
    ingest_rows: Callable[..., IngestReport],
    read: Callable[[str | Path], TextTable],
    store: Any,
    path: str | Path,
    progress: Progress | None = None,
) -> IngestReport:
    """Read and ingest one file with a domain's ``ingest_rows(store, table, source, progress)``;
    raises :class:`IngestFileError` only when the file itself is unusable."""
    return ingest_rows(store, read(path), source=Path(path).name, progress=progress)


def with_shape_problems(reasons: pd.Series, problems: pd.Series) -> pd.Series:
    """``reasons`` (indexed by row position) where a row's shape or bytes were wrong replaced by that
    problem: a row with too many or too few values is shifted, so its other reasons are noise."""
    found = problems.reset_index(drop=True).reindex(reasons.index)
    bad = (found != "").to_numpy()
    if bad.any():
        reasons = reasons.copy()
        reasons[bad] = found[bad]
    return reasons


def payload_hash(payload: str) -> str:
    """Identity of a quarantined row that has no typed values to compare: its raw text."""
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def rejected_rows(
    raw: pd.DataFrame,
    reasons: pd.Series,
    lines: np.ndarray,
    extras: dict[int, list[str]],
    source: str,
    row_hashes: pd.Series | None = None,
) -> pd.DataFrame:
    """The quarantine records (row_hash, source, line, reason, raw) of the rows ``reasons`` names.

    ``raw`` is indexed by row position; its values go into the record as JSON (values beyond the
    header under ``_extra_values``). ``row_hashes`` (by position) identify the rows, default: the JSON.
    """
    positions = reasons.index.to_numpy()
    values = raw.loc[reasons.index].astype(object)
    payloads = []
    for position, record in zip(positions, values.to_dict("records"), strict=True):
        record = {key: None if pd.isna(value) else value for key, value in record.items()}
        if position in extras:
            record["_extra_values"] = extras[position]
        payloads.append(json.dumps(record))
    hashes = [payload_hash(p) for p in payloads] if row_hashes is None else row_hashes.loc[reasons.index].to_numpy()
    return pd.DataFrame(
        {"row_hash": hashes, "source": source, "line": lines[positions], "reason": reasons.to_numpy(), "raw": payloads}
    )


def rejected_lines(reasons: pd.Series, lines: np.ndarray) -> list[dict]:
    """{"line", "reason"} of each quarantined row, for the report."""
    return [{"line": int(lines[p]), "reason": r} for p, r in zip(reasons.index, reasons, strict=True)]


__all__ = [
    "IngestFileError",
    "as_table",
    "ingest_file",
    "payload_hash",
    "read_table",
    "rejected_lines",
    "rejected_rows",
    "with_shape_problems",
]
