"""Bulk insert of new rows into any table, skipping rows whose key is already stored.

PostgreSQL: ``COPY`` (CSV, through psycopg2's ``copy_expert``) into a temporary
staging table, then one ``INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING``.
executemany sent one statement per row and loaded the real shot logs at about
5,600 rows/s; see README "Benchmarks" for the figure with COPY.
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

import pandas as pd
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

CHUNK_ROWS = 50_000  # per COPY: bounds the CSV buffer (about 15 MB for a shot row) and paces progress
EXECUTEMANY_CHUNK = 5_000


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
    progress: Callable[[int, int], None] | None = None,
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
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return conn.execute(statement, records(chunk)).rowcount or 0


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
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in frame.columns)
    placeholders = ", ".join("?" for _ in frame.columns)
    conflict = ", ".join(quote(name) for name in key)
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in update)
    statement = (
        f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    plain = frame.astype(object).where(frame.notna(), None)
    for name in frame.columns:  # SQLAlchemy's SQLite DateTime text, as its own writes store it
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            text = frame[name].dt.tz_localize(None) if frame[name].dt.tz is not None else frame[name]
            plain[name] = text.dt.strftime("%Y-%m-%d %H:%M:%S.%f").astype(object).where(frame[name].notna(), None)
    result = conn.exec_driver_sql(statement, list(plain.itertuples(index=False, name=None)))
    return int(result.rowcount or 0)


def _copy_chunk(
    conn: Connection, table: Table, chunk: pd.DataFrame, key: Sequence[str], update: Sequence[str] = ()
) -> int:
    quote = conn.dialect.identifier_preparer.quote
    target = conn.dialect.identifier_preparer.format_table(table)
    staging = quote(f"bulk_{table.name}_{uuid.uuid4().hex[:12]}")
    columns = ", ".join(quote(name) for name in chunk.columns)
    null = _null_marker(chunk)
    buffer = io.StringIO()
    # pandas writes floats with repr (exact round trip). Every field is quoted (a lone '\r' is
    # not quoted otherwise, and COPY reads it as a line end); FORCE_NULL turns the quoted
    # NULL marker back into NULL, while a quoted empty string stays an empty string.
    chunk.to_csv(buffer, index=False, header=False, na_rep=null, quoting=csv.QUOTE_ALL)
    buffer.seek(0)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} AS SELECT {columns} FROM {target} WITH NO DATA")
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        options = f"FORMAT csv, NULL '{null}', FORCE_NULL ({columns})"
        cursor.copy_expert(f"COPY {staging} ({columns}) FROM STDIN WITH ({options})", buffer)
    finally:
        cursor.close()
    conflict = ", ".join(quote(name) for name in key)
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in update) if update else "DO NOTHING"
    )
    result = conn.exec_driver_sql(
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT ({conflict}) {action}"
    )
    conn.exec_driver_sql(f"DROP TABLE {staging}")
    return result.rowcount or 0
