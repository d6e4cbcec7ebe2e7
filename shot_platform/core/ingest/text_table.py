"""Reading a CSV file (plain or gzip) as text rows, keeping each row's real line number.

The one CSV policy of every domain's ingest: Python's ``csv`` module
with its defaults (comma, double quote, quotes doubled inside quoted fields)
rather than ``pandas.read_csv``, because pandas rejects a whole file for one row
with an extra field, drops blank lines without saying where they were, cannot
give the line a quoted multi-line row starts on, and refuses the whole file for
one undecodable byte. Here every problem costs its row only:

- a row with more or fewer values than the header is returned with its problem
  (and its extra values), to be quarantined with its line;
- bytes that are not UTF-8 (a Latin-1 ``é``) are kept as lone surrogates
  (``surrogateescape``) and the row gets a problem naming the columns, so that
  one bad byte costs one row, never the file;
- blank lines are skipped and still counted, so line numbers are the file's:
  the header is line 1, a row's number is the physical line it starts on, and a
  line ends at ``\n``, ``\r\n`` or a lone ``\r`` (Python's universal newlines).
  A line break inside a quoted field (any of the three) belongs to the field;
  outside quotes a lone ``\r`` ends the row like any line break.

Only an unusable file raises :class:`TableFileError` (missing, a directory,
empty, not gzip, cut short, a duplicated or missing header column), with a
one-line message in which text from the file is escaped (``core.names.visible``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import gzip
import io
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shot_platform.core.names import visible

GZIP_MAGIC = b"\x1f\x8b"
FIELD_LIMIT = 1_000_000  # characters in one field; longer ones are refused by the text rules anyway
UNDECODABLE = "the row has bytes that are not UTF-8"
_ERRORS = "shot_platform.surrogateescape_counted"
_undecodable = [0]  # bytes kept as surrogates so far, by every reader: rows are searched only when it grew


def _count_undecodable(error: UnicodeDecodeError) -> tuple[str, int]:
    _undecodable[0] += error.end - error.start
    return _surrogateescape(error)


_surrogateescape = codecs.lookup_error("surrogateescape")
codecs.register_error(_ERRORS, _count_undecodable)


class TableFileError(Exception):
    """The file itself cannot be used (missing, a directory, empty, corrupt, wrong header)."""


@dataclass
class TextTable:
    """Rows as text (None where empty) under the file's header."""

    frame: pd.DataFrame
    lines: np.ndarray  # the first physical line of each row (the header is line 1)
    problems: pd.Series  # '' or what is wrong with the row's shape or bytes
    extras: dict[int, list[str]] = field(default_factory=dict)  # values beyond the header, by row position


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    if path.suffix == ".gz" and not compressed:
        raise TableFileError(
            f"{visible(str(path))} is named .gz but is not gzip data: compress it with gzip, or drop the .gz"
        )
    binary = gzip.open(path, "rb") if compressed else path.open("rb")  # noqa: SIM115 - closed with the wrapper
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors=_ERRORS, newline="")


def _check_path(path: Path, what: str) -> None:
    shown = visible(str(path))
    if path.is_dir():
        raise TableFileError(f"{shown} is a directory: give the path of a {what} file (.csv or .csv.gz) inside it")
    if not path.exists():
        raise TableFileError(f"{shown}: no such file. Give the path of a {what} file (.csv or .csv.gz).")
    if path.stat().st_size == 0:
        raise TableFileError(f"{shown} is empty: a {what} file starts with its header line")


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _first_lines(records: list[list[str]], lines_read: int) -> list[int]:
    """The physical line each record starts on (records include the header, and blank lines as [])."""
    if lines_read == len(records):  # no record spans lines: the common case, no scan
        return list(range(1, len(records) + 1))
    starts, line = [], 1
    for record in records:
        starts.append(line)
        joined = "".join(record)
        line += 1 + (_line_breaks(joined) if "\n" in joined or "\r" in joined else 0)
    return starts


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: building millions of small lists (rows) triggers it
    over and over, though none of them can form a cycle; that doubles the reading time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_text_table(path: str | Path, required: Sequence[str], what: str) -> TextTable:
    """Read ``path``; raise :class:`TableFileError` saying what to do when the file is unusable."""
    path = Path(path)
    _check_path(path, what)
    shown = visible(str(path))
    csv.field_size_limit(FIELD_LIMIT)
    undecodable_before = _undecodable[0]
    reader = None
    try:
        with _open_text(path) as text, _no_cyclic_gc():
            reader = csv.reader(text)
            records = list(reader)  # one C loop; [] for a blank line
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise TableFileError(
            f"{shown}: the gzip data is corrupt or cut short ({error}); download or compress the file again"
        ) from error
    except csv.Error as error:
        line = reader.line_num if reader is not None else 1
        raise TableFileError(f"{shown}: line {line}: {visible(str(error))}; fix or remove that line") from error
    except OSError as error:
        raise TableFileError(f"{shown}: cannot be read ({visible(str(error))})") from error

    header = records[0] if records else []
    if not header:
        raise TableFileError(f"{shown} has no header line: a {what} file starts with its column names")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        names = visible(", ".join(repeated))
        raise TableFileError(f"{shown}: the header names {names} more than once; keep one of each")
    missing = [column for column in required if column not in header]
    if missing:
        raise TableFileError(
            f"{shown}: not a {what} file, columns missing: {', '.join(missing)}. "
            f"The header line has: {visible(', '.join(header)[:200])}"
        )
    starts = _first_lines(records, reader.line_num)
    kept = [position for position in range(1, len(records)) if records[position]]
    rows = [records[position] for position in kept] if len(kept) < len(records) - 1 else records[1:]
    lines = [starts[position] for position in kept]
    with _no_cyclic_gc():
        return _table(header, rows, lines, check_bytes=_undecodable[0] != undecodable_before)


def _undecodable_columns(header: list[str], row: list[str]) -> list[str]:
    """The columns of ``row`` holding undecodable bytes (kept as lone surrogates)."""
    bad = []
    for position, value in enumerate(row):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad.append(visible(header[position]) if position < len(header) else f"value {position + 1}")
    return bad


def _shared(column: np.ndarray) -> np.ndarray:
    """The column with None for empty and one str object per distinct value, as pandas' own parser
    gives: a file repeats a few values (teams, seasons, names) many times, and comparing, hashing
    and matching then touch each distinct value once instead of once per row."""
    codes, uniques = pd.factorize(column)
    uniques = np.asarray(uniques, dtype=object)
    uniques[uniques == ""] = None
    return uniques.take(codes) if len(uniques) else np.full(len(column), None, dtype=object)


def _table(header: list[str], rows: list[list[str]], lines: list[int], check_bytes: bool) -> TextTable:
    width = len(header)
    problems = np.full(len(rows), "", dtype=object)
    extras: dict[int, list[str]] = {}
    for position, row in enumerate(rows):
        if len(row) != width:
            problems[position] = f"the row has {len(row)} values, the header {width}"
    if check_bytes:
        for position, row in enumerate(rows):
            columns = _undecodable_columns(header, row)
            if columns:
                found = f"{UNDECODABLE} (in {', '.join(columns)}): save the file as UTF-8"
                problems[position] = found if not problems[position] else f"{problems[position]}; {found}"
    for position in np.flatnonzero(problems != ""):
        row = rows[position]
        if len(row) > width:
            extras[int(position)] = row[width:]
            rows[position] = row[:width]
        elif len(row) < width:
            rows[position] = row + [""] * (width - len(row))
    # Column by column in memory (pandas keeps a block as columns x rows): every later column
    # operation then reads contiguous values instead of striding across rows.
    by_column = np.array(rows, dtype=object).reshape(len(rows), width).T.copy()
    for position, column in enumerate(by_column):
        by_column[position] = _shared(column)
    frame = pd.DataFrame(by_column.T, columns=header, dtype=object, copy=False)  # no type inference: text
    return TextTable(
        frame=frame,
        lines=np.asarray(lines, dtype=np.int64),
        problems=pd.Series(problems, index=frame.index, dtype=object),
        extras=extras,
    )
