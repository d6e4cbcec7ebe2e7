"""Engine set-up and bulk writes shared by the domains' stores (SQLite and PostgreSQL).

On PostgreSQL, rows go in with ``COPY ... FROM STDIN`` (psycopg2's ``copy_expert``): an
``executemany`` of INSERTs costs a round trip per row batch and measured 5,600 rows/s for shots,
COPY loads free-throw events at more than 10x that (README, Benchmarks). ``insert_new_rows`` copies
into a temporary table first and inserts from it with ``ON CONFLICT DO NOTHING``, so a concurrent
loader of the same keys is counted, not failed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

INSERT_CHUNK = 5_000
COPY_CHUNK = 50_000
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def create_store_engine(url: str) -> Engine:
    """An engine with the platform's conventions: SQLite in WAL mode with a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the UI, the service and a run read while a run writes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def dialect_insert(engine: Engine | Connection, table: Table):
    """``INSERT`` of the engine's dialect, which offers ``on_conflict_do_nothing/update``."""
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as plain Python values, NaN as NULL."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def chunks(rows: Sequence, size: int = INSERT_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def copy_text(frame: pd.DataFrame) -> str:
    """``frame`` as PostgreSQL's COPY CSV reads it: text always quoted (so '' or a literal ``\\N``
    stay text), NULL as an unquoted empty field, numbers and times unquoted."""
    if frame.empty:
        return ""
    fields = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            text = column.dt.strftime("%Y-%m-%d %H:%M:%S.%f%z")
        elif pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
            text = column.astype("Int64").astype(str)
        elif pd.api.types.is_float_dtype(column):
            text = column.map(repr)
        else:
            text = '"' + column.astype(str).str.replace('"', '""', regex=False) + '"'
        fields.append(text.where(column.notna(), "").astype(str))
    return "\n".join(fields[0].str.cat(fields[1:], sep=",") if len(fields) > 1 else fields[0]) + "\n"


def _copy(conn: Connection, table_name: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table_name} ({columns}) FROM STDIN WITH (FORMAT csv)", io.StringIO(copy_text(frame)))
    finally:
        cursor.close()


def _executemany(conn: Connection, table: Table, frame: pd.DataFrame, verb: str) -> int:
    """SQLite: the DB-API's executemany on plain tuples. SQLAlchemy's per-row parameter handling
    and DataFrame.to_dict cost 2/3 of a 500,000-row load (measured 20 s -> 6 s)."""
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    placeholders = ", ".join("?" for _ in frame.columns)
    rows = list(_bound(frame).itertuples(index=False, name=None))
    result = conn.exec_driver_sql(f"{verb} INTO {table.name} ({columns}) VALUES ({placeholders})", rows)
    return int(result.rowcount or 0)


def bulk_insert(
    conn: Connection, table: Table, frame: pd.DataFrame, progress: Callable[[int, int], None] | None = None
) -> int:
    """Append every row of ``frame`` (columns named as the table's) inside the caller's transaction."""
    total = len(frame)
    for start in range(0, total, COPY_CHUNK):
        part = frame.iloc[start : start + COPY_CHUNK]
        if conn.dialect.name == "postgresql":
            _copy(conn, table.name, part)
        elif len(part):
            _executemany(conn, table, part, "INSERT")
        if progress:
            progress(min(total, start + COPY_CHUNK), total)
    return total


def _bound(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as sqlite3 takes them: NULL for NaN, datetimes in SQLAlchemy's SQLite text format
    (what its DateTime type writes and parses back), everything else a plain Python value."""
    plain = frame.astype(object).where(frame.notna(), None)
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            text = frame[name].dt.strftime(SQLITE_DATETIME)
            plain[name] = text.astype(object).where(frame[name].notna(), None)
    return plain


def insert_new_rows(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    key: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Insert rows whose ``key`` is not stored yet; returns how many were inserted."""
    if frame.empty:
        return 0
    if conn.dialect.name != "postgresql":
        inserted = 0
        for start in range(0, len(frame), COPY_CHUNK):
            inserted += _executemany(conn, table, frame.iloc[start : start + COPY_CHUNK], "INSERT OR IGNORE")
            if progress:
                progress(min(len(frame), start + COPY_CHUNK), len(frame))
        return inserted
    staging = f"staging_{table.name}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE {staging} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
    for start in range(0, len(frame), COPY_CHUNK):
        _copy(conn, staging, frame.iloc[start : start + COPY_CHUNK])
        if progress:
            progress(min(len(frame), start + COPY_CHUNK), len(frame))
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    conflict = ", ".join(f'"{name}"' for name in key)
    result = conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT ({conflict}) DO NOTHING"
    )
    conn.exec_driver_sql(f"DROP TABLE {staging}")
    return int(result.rowcount or 0)


__all__ = ["bulk_insert", "chunks", "create_store_engine", "dialect_insert", "insert_new_rows", "records"]
