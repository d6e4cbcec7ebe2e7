"""Bulk insert of new rows into any table, skipping rows whose key is already stored.

PostgreSQL: ``COPY`` (CSV, through psycopg2's ``copy_expert``) into a temporary
staging table, then one ``INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING``.
executemany sent one statement per row and loaded the real data sets at about
5,600 rows/s; see docs/benchmarks.md for the figure with COPY.
SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` with executemany, already fast
in-process.

The caller validates values first: PostgreSQL refuses a whole COPY for one
value its column cannot hold (a NUL byte, a too-long string, an overflow).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import psycopg2
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

CHUNK_ROWS = 50_000  # per COPY: bounds the CSV buffer (about 15 MB for a 300-byte row) and paces progress
EXECUTEMANY_CHUNK = 5_000

Progress = Callable[[int, int], None]  # called with (rows done, rows in all) as an insert goes on


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as plain Python values, NaN/NA as None (NULL)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def insert_new_rows(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    key: Sequence[str],
    progress: Progress | None = None,
) -> int:
    """Insert ``frame``'s rows (columns named as ``table``'s) unless their ``key`` is stored;
    returns how many were inserted. Runs in the caller's transaction."""
    if frame.empty:
        return 0
    copy = conn.dialect.name == "postgresql"
    insert = _copy_chunk if copy else _executemany_chunk
    inserted = done = 0
    for chunk in _chunks(frame, CHUNK_ROWS if copy else EXECUTEMANY_CHUNK):
        inserted += insert(conn, table, chunk, key)
        done += len(chunk)
        if progress:
            progress(done, len(frame))
    return inserted


def _executemany_chunk(conn: Connection, table: Table, chunk: pd.DataFrame, key: Sequence[str]) -> int:
    if conn.dialect.name == "sqlite":
        return _sqlite_executemany(conn, table, chunk, key, ())
    statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return conn.execute(statement, records(chunk)).rowcount or 0


def _datetime_text(values: pd.Series, utc_offset: bool) -> pd.Series:
    """Datetimes as text, formatted once per distinct value: a sync flush stamps 40,000 prediction
    rows with one time, and formatting each row cost 2.5 s a season in COPY's CSV (pandas'
    ``_format_native_types``), 0.9 s in SQLite's strftime. NaT stays missing (NULL).

    ``utc_offset``: ``2026-01-02 03:04:05.000006+00:00`` as pandas writes an aware time in a CSV
    (COPY into timestamptz); otherwise the wall time without offset, as SQLAlchemy's SQLite
    DateTime stores it."""
    codes, uniques = pd.factorize(values)
    index = pd.DatetimeIndex(uniques)
    if utc_offset:
        texts = index.astype(str) if index.tz is not None else index.strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        texts = (index.tz_localize(None) if index.tz is not None else index).strftime("%Y-%m-%d %H:%M:%S.%f")
    table = np.asarray([*texts, None], dtype=object)  # code -1 (NaT) picks the trailing None
    return pd.Series(table[codes], index=values.index, dtype=object)


def _plain_columns(frame: pd.DataFrame) -> list[list]:
    """Each column as a list of Python values, missing as None, datetimes as SQLite's text. Built
    column by column with ``tolist`` (``astype(object).where(...)`` then ``itertuples`` cost 5x)."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            columns.append(_datetime_text(values, utc_offset=False).tolist())
        elif values.hasnans:
            columns.append(values.astype(object).where(values.notna(), None).tolist())
        else:
            columns.append(values.tolist())
    return columns


def _sqlite_executemany(
    conn: Connection, table: Table, frame: pd.DataFrame, key: Sequence[str], update: Sequence[str]
) -> int:
    """One ``INSERT ... ON CONFLICT`` executemany on plain tuples (SQLAlchemy's per-row parameter
    handling cost 5x on the sync engine's prediction rows); returns the rows inserted or updated."""
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in frame.columns)
    placeholders = ", ".join("?" for _ in frame.columns)
    conflict = ", ".join(quote(name) for name in key)
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in update) if update else "DO NOTHING"
    )
    statement = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders}) ON CONFLICT ({conflict}) {action}"
    result = conn.exec_driver_sql(statement, list(zip(*_plain_columns(frame), strict=True)))
    return int(result.rowcount or 0)


def _null_marker(chunk: pd.DataFrame) -> str:
    r"""COPY's NULL spelling: ``\N`` unless some text value is exactly that; then a random
    one, short because pandas cuts ``na_rep`` in float columns to the width of its numbers."""
    text = chunk.select_dtypes(include=["object", "string"])
    marker = r"\N"
    while any((text[column] == marker).any() for column in text.columns):
        marker = f"~{uuid.uuid4().hex[:8]}"
    return marker


def upsert_rows(conn: Connection, table: Table, frame: pd.DataFrame, key: Sequence[str], update: Sequence[str]) -> int:
    """Insert ``frame``'s rows; a row whose ``key`` is stored replaces the ``update`` columns instead.
    PostgreSQL: COPY into staging, then one ``INSERT ... ON CONFLICT DO UPDATE`` (the same path as
    ``insert_new_rows``). SQLite: ``INSERT ... ON CONFLICT DO UPDATE`` with executemany on plain
    tuples (SQLAlchemy's per-row parameter handling cost 5x on the sync engine's prediction rows)."""
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        return sum(_copy_chunk(conn, table, chunk, key, update) for chunk in _chunks(frame, CHUNK_ROWS))
    return _sqlite_executemany(conn, table, frame, key, update)


def insert_rows_unchecked(
    conn: Connection, table: Table, frame: pd.DataFrame, key: Sequence[str], update: Sequence[str] = ()
) -> int:
    """Insert rows the caller knows are new: on PostgreSQL one ``COPY`` straight into the table (no
    staging table, no ``ON CONFLICT``: 0.27 s instead of 0.42 s for 46,500 prediction rows), in a
    savepoint, so that a key stored meanwhile by someone else (a unique violation) falls back to
    ``upsert_rows`` (``insert_new_rows`` without ``update``) instead of failing the transaction.
    SQLite gains nothing from it and takes that path directly."""
    if frame.empty:
        return 0

    def checked() -> int:
        return upsert_rows(conn, table, frame, key, update) if update else insert_new_rows(conn, table, frame, key)

    if conn.dialect.name != "postgresql":
        return checked()
    try:
        with conn.begin_nested():
            for chunk in _chunks(frame, CHUNK_ROWS):
                _copy_into(conn, conn.dialect.identifier_preparer.format_table(table), chunk)
        return len(frame)
    except (IntegrityError, psycopg2.IntegrityError):
        return checked()


def _copy_into(conn: Connection, target: str, chunk: pd.DataFrame) -> None:
    """COPY ``chunk`` (columns named as the target's) into the table ``target`` (already quoted)."""
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in chunk.columns)
    null = _null_marker(chunk)
    times = [name for name in chunk.columns if pd.api.types.is_datetime64_any_dtype(chunk[name])]
    if times:
        chunk = chunk.assign(**{name: _datetime_text(chunk[name], utc_offset=True) for name in times})
    buffer = io.StringIO()
    # pandas writes floats with repr (exact round trip). Every field is quoted (a lone '\r' is
    # not quoted otherwise, and COPY reads it as a line end); FORCE_NULL turns the quoted
    # NULL marker back into NULL, while a quoted empty string stays an empty string.
    chunk.to_csv(buffer, index=False, header=False, na_rep=null, quoting=csv.QUOTE_ALL)
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        options = f"FORMAT csv, NULL '{null}', FORCE_NULL ({columns})"
        cursor.copy_expert(f"COPY {target} ({columns}) FROM STDIN WITH ({options})", buffer)
    finally:
        cursor.close()


def _copy_chunk(
    conn: Connection, table: Table, chunk: pd.DataFrame, key: Sequence[str], update: Sequence[str] = ()
) -> int:
    quote = conn.dialect.identifier_preparer.quote
    target = conn.dialect.identifier_preparer.format_table(table)
    staging = quote(f"bulk_{table.name}_{uuid.uuid4().hex[:12]}")
    columns = ", ".join(quote(name) for name in chunk.columns)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} AS SELECT {columns} FROM {target} WITH NO DATA")
    _copy_into(conn, staging, chunk)
    conflict = ", ".join(quote(name) for name in key)
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in update) if update else "DO NOTHING"
    )
    result = conn.exec_driver_sql(
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT ({conflict}) {action}"
    )
    conn.exec_driver_sql(f"DROP TABLE {staging}")
    return result.rowcount or 0
