"""core/bulk.py: COPY on PostgreSQL, executemany on SQLite; values read back exactly, known keys skipped."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    func,
    select,
)

from shot_platform.core.bulk import insert_new_rows, insert_rows_unchecked

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("k1", BigInteger, nullable=False),
    Column("k2", Integer, nullable=False),
    Column("amount", Float),
    Column("label", String(64)),
    Column("note", Text),
    Column("day", Date),
    Column("at", DateTime(timezone=True)),
    UniqueConstraint("k1", "k2", name="uq_things_key"),
)

TRICKY_TEXT = [
    *("plain", "", None, r"\N", "\r", "a\r\nb", 'say "hi", then go'),
    *("two\nlines", "tab\there", "é漢字🏀", "NULL", "\\"),
]


def frame(rows: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "k1": pd.array([2**63 - 1 - i - offset for i in range(rows)], dtype="Int64"),
            "k2": pd.array([i % 7 for i in range(rows)], dtype="Int64"),
            "amount": [[0.1 + 0.2, 1e-300, -2.5, None, 1 / 3][i % 5] for i in range(rows)],
            "label": [TRICKY_TEXT[i % len(TRICKY_TEXT)] for i in range(rows)],
            "note": [TRICKY_TEXT[(i + 3) % len(TRICKY_TEXT)] for i in range(rows)],
            "day": [dt.date(2014, 10, 28) + dt.timedelta(days=i % 90) for i in range(rows)],
            "at": [dt.datetime(2026, 1, 1, 12, 0, i % 60, 123456, tzinfo=dt.UTC) for i in range(rows)],
        }
    )


def read_back(engine) -> pd.DataFrame:
    columns = [c for c in things.columns if c.name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(things.c.id)).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns])


def assert_same(stored: pd.DataFrame, given_rows: pd.DataFrame) -> None:
    for name in given_rows.columns:
        expected = [None if pd.isna(v) else v for v in given_rows[name].astype(object)]
        actual = [None if pd.isna(v) else v for v in stored[name].astype(object)]
        if name == "at":
            actual = [v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v for v in actual]  # SQLite drops the zone
        assert actual == expected, name


def test_rows_are_stored_exactly_and_known_keys_skipped(database_url: str):
    engine = create_engine(database_url)
    metadata.create_all(engine)
    rows = frame(120)
    with engine.begin() as conn:
        assert insert_new_rows(conn, things, rows, key=["k1", "k2"]) == 120
    assert_same(read_back(engine), rows)

    overlapping = pd.concat([rows.iloc[100:], frame(30, offset=120)], ignore_index=True)
    seen: list[tuple[int, int]] = []
    with engine.begin() as conn:
        inserted = insert_new_rows(
            conn, things, overlapping, key=["k1", "k2"], progress=lambda d, t: seen.append((d, t))
        )
    assert inserted == 30 and seen[-1] == (50, 50)
    assert len(read_back(engine)) == 150
    engine.dispose()


@given(st.lists(st.text(max_size=20).filter(lambda s: "\x00" not in s), min_size=1, max_size=20))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_survives_the_copy(database_url: str, texts: list[str]):
    engine = create_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(delete(things))
    rows = pd.DataFrame({"k1": range(len(texts)), "k2": 0, "label": None, "note": texts})
    with engine.begin() as conn:
        insert_new_rows(conn, things, rows, key=["k1", "k2"])
    assert read_back(engine)["note"].tolist() == texts
    engine.dispose()


def test_rows_known_new_are_copied_and_a_stored_key_falls_back_to_the_upsert(database_url: str):
    """``insert_rows_unchecked`` (COPY straight into the table on PostgreSQL) for rows the caller
    believes new; when a key is stored after all, the savepoint is rolled back and the checked upsert
    runs instead, in the same transaction, which stays usable."""
    engine = create_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        assert insert_rows_unchecked(conn, things, frame(50), key=["k1", "k2"]) == 50
    assert_same(read_back(engine), frame(50))

    clash = frame(60).iloc[40:].assign(amount=7.5)  # the keys of rows 40..49 are stored
    with engine.begin() as conn:
        insert_rows_unchecked(conn, things, clash, key=["k1", "k2"], update=["amount"])
        assert conn.execute(select(func.count()).select_from(things)).scalar_one() == 60
    stored = read_back(engine).sort_values("k1", ascending=False, ignore_index=True)  # frame order
    assert len(stored) == 60 and (stored["amount"].iloc[40:] == 7.5).all()
    assert_same(stored.iloc[:40], frame(40))
    engine.dispose()
