"""Hostile input at ingest, on SQLite and PostgreSQL: values the store or a model cannot hold,
malformed rows, concurrent conflicting ingests, and property tests over the whole path."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shot_platform.core.sql_checks import violation_conditions
from shot_platform.shots.ingest.shots import ingest_shot_file, ingest_shot_frame
from shot_platform.shots.rules import SHOT_RULES
from shot_platform.shots.schema import SHOT_LOG_COLUMNS
from shot_platform.shots.store import ShotStore, tables


def text_rows(synthetic: pd.DataFrame, count: int, game_id: int) -> pd.DataFrame:
    """Real-looking rows as text (the way a file arrives), in a game of their own."""
    rows = synthetic.iloc[:count].copy()
    rows["GAME_ID"] = game_id
    rows["SHOT_NUMBER"] = range(1, count + 1)
    return rows.astype(object).map(lambda v: None if pd.isna(v) else str(v)).reset_index(drop=True)


HOSTILE = [
    ("TOUCH_TIME", "inf", "TOUCH_TIME must be a finite number"),
    ("TOUCH_TIME", "1e999", "TOUCH_TIME must be a finite number"),
    ("SHOT_DIST", "NaN", "SHOT_DIST must be a finite number"),
    ("DRIBBLES", "1e300", "DRIBBLES must be a whole number within 0..200"),
    ("DRIBBLES", "201", "DRIBBLES must be a whole number within 0..200"),
    ("player_id", str(2**63 + 5), "player_id must be a whole number within 0..9,999,999,999"),
    ("CLOSEST_DEFENDER_PLAYER_ID", "-1", "CLOSEST_DEFENDER_PLAYER_ID must be a whole number"),
    ("GAME_ID", "1e30", "GAME_ID must be a whole number"),
    ("SHOT_NUMBER", str(2**31), "SHOT_NUMBER must be a whole number within 1..200"),
    ("FINAL_MARGIN", "100000", "FINAL_MARGIN must be empty or a whole number within -200..200"),
    ("player_name", "x" * 65, "player_name must be empty or text of at most 64 characters"),
    ("CLOSEST_DEFENDER", "Joe\x00Smith", "CLOSEST_DEFENDER must be empty or text of at most 64 characters without NUL"),
    ("GAME_CLOCK", "5:12\x00", "GAME_CLOCK must be 'M:SS'"),
    ("MATCHUP", "FEB 30, 2015 - GSW @ LAL", "MATCHUP has no such date"),
    ("SHOT_RESULT", "Made", "SHOT_RESULT must be 'made' or 'missed'"),
]


def test_values_the_store_or_a_model_cannot_hold_are_quarantined(store: ShotStore, synthetic_shots, tmp_path: Path):
    rows = text_rows(synthetic_shots, len(HOSTILE) + 5, game_id=29_000_001)
    for position, (column, value, _) in enumerate(HOSTILE):
        rows.loc[position, column] = value
    rows.to_csv(tmp_path / "hostile.csv", index=False)

    report = ingest_shot_file(store, tmp_path / "hostile.csv")
    assert (report.inserted, report.quarantined) == (5, len(HOSTILE))
    for rejected, (column, value, expected) in zip(report.rejected, HOSTILE, strict=True):
        assert expected in rejected["reason"], (column, value, rejected)
    stored = store.load_shots()
    assert np.isfinite(stored[["TOUCH_TIME", "touch_time_raw", "SHOT_DIST", "CLOSE_DEF_DIST"]]).all().all()
    assert stored["player_id"].between(0, 9_999_999_999).all() and stored["DRIBBLES"].le(200).all()
    # The quarantine keeps the raw text as it was, NUL bytes included (escaped in JSON).
    raws = store.load_quarantine()["raw"]
    assert raws.str.contains('"Joe\\u0000Smith"', regex=False).sum() == 1


def test_a_malformed_row_costs_that_row_and_lines_are_the_file_lines(store: ShotStore, synthetic_shots, tmp_path):
    rows = text_rows(synthetic_shots, 6, game_id=29_000_002)
    header = ",".join(SHOT_LOG_COLUMNS)

    def line(frame_row: pd.Series) -> str:
        return ",".join("" if pd.isna(v) else f'"{v}"' for v in frame_row)

    # A quoted field across two physical lines; a name with a line break breaks the name rule
    # (core.names), so the row is quarantined with the line it starts on.
    rows.loc[3, "player_name"] = "two\nlines"
    body = [
        header,  # line 1
        line(rows.iloc[0]),  # 2
        "",  # 3: blank
        line(rows.iloc[1]) + ',"extra"',  # 4: one value too many
        "",  # 5
        "",  # 6
        line(rows.iloc[2]).rsplit(",", 1)[0],  # 7: one value short
        line(rows.iloc[3]),  # 8-9: the multi-line row
        line(rows.iloc[4].replace({rows.iloc[4]["SHOT_DIST"]: "-1"})),  # 10: bad value
        line(rows.iloc[5]),  # 11
    ]
    path = tmp_path / "malformed.csv"
    path.write_text("\n".join(body) + "\n")

    report = ingest_shot_file(store, path)
    assert (report.rows_read, report.inserted, report.quarantined) == (6, 2, 4)
    assert [(r["line"], r["reason"].split(",")[0]) for r in report.rejected] == [
        (4, "the row has 22 values"),
        (7, "the row has 20 values"),
        (8, "player_name must be a name without control"),
        (10, report.rejected[3]["reason"].split(",")[0]),
    ]
    assert "SHOT_DIST must be" in report.rejected[3]["reason"]
    quarantine = store.load_quarantine().set_index("line")
    assert '"_extra_values": ["extra"]' in quarantine.loc[4, "raw"]
    assert '"two\\nlines"' in quarantine.loc[8, "raw"]
    assert set(store.load_shots()["SHOT_NUMBER"]) == {1, 6}


class RacingStore(ShotStore):
    """A real store whose ingests all read the stored keys before any of them writes."""

    barrier: threading.Barrier

    def stored_hashes(self, keys: pd.DataFrame) -> pd.DataFrame:
        stored = super().stored_hashes(keys)
        if getattr(self, "barrier", None) is not None:
            barrier, self.barrier = self.barrier, None  # only the first look races
            barrier.wait(timeout=60)
        return stored


def test_concurrent_ingests_of_different_values_report_conflicts(database_url: str, synthetic_shots):
    ShotStore(database_url).create_schema()
    ours = text_rows(synthetic_shots, 40, game_id=29_000_003)
    theirs = ours.copy()
    theirs["CLOSE_DEF_DIST"] = [str(float(v) + 1.0) for v in theirs["CLOSE_DEF_DIST"]]
    barrier = threading.Barrier(2)
    reports: dict[str, object] = {}

    def ingest(name: str, rows: pd.DataFrame) -> None:
        store = RacingStore(database_url)
        store.barrier = barrier
        reports[name] = ingest_shot_frame(store, rows, source=name)
        store.dispose()

    threads = [threading.Thread(target=ingest, args=(n, r)) for n, r in (("ours", ours), ("theirs", theirs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    first, second = reports["ours"], reports["theirs"]
    assert first.inserted + second.inserted == 40
    assert first.conflicts + second.conflicts == 40  # every key was lost by one of them, and said so
    assert first.duplicates == second.duplicates == 0
    assert first.quarantined + second.quarantined == 40
    store = ShotStore(database_url)
    assert len(store.load_shots()) == 40
    reasons = store.load_quarantine()["reason"]
    assert len(reasons) == 40 and reasons.str.startswith("conflicts with the stored row").all()
    store.dispose()


# -- property tests --------------------------------------------------------------------------

NUMBERISH = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["inf", "-inf", "nan", "1e999", "18.0", "1e3", " 7", "0x10", "1_000", "", "٣", "+5", "-0"]),
)
TEXTISH = st.one_of(
    st.text(max_size=70),
    st.sampled_from(["H", "A", "W", "L", "made", "missed", "5:12", "12:00", "0:00", "9:60", "a\x00b", "\udcff"]),
)


@st.composite
def hostile_rows(draw: st.DrawFn, template: pd.DataFrame, game: int) -> pd.DataFrame:
    """A few real rows of one game with some values replaced by hostile text."""
    rows = template.sample(n=draw(st.integers(1, 4)), random_state=draw(st.integers(0, 10**6))).reset_index(drop=True)
    rows["GAME_ID"] = str(game)
    for position in range(len(rows)):
        for column in draw(st.lists(st.sampled_from(SHOT_LOG_COLUMNS), max_size=3, unique=True)):
            rule = SHOT_RULES[column]
            value = draw(st.one_of(st.none(), NUMBERISH if rule.numeric else TEXTISH))
            rows.loc[position, column] = value
    return rows


def expected_typed(text: str | None, column: str):
    """What the store must hold for a value given as text, computed without the ingest code."""
    if text is None or pd.isna(text) or text == "":
        return None
    rule = SHOT_RULES[column]
    if rule.integral:
        return int(Decimal(text))
    if rule.kind == "number":
        return float(text)
    return text


STORED_AS_GIVEN = [c for c in SHOT_LOG_COLUMNS if c not in ("SHOT_DIST", "TOUCH_TIME", "SHOT_CLOCK")]
RAW_COLUMNS = {"SHOT_DIST": "shot_dist_raw", "TOUCH_TIME": "touch_time_raw"}


@pytest.fixture(scope="module")
def template(synthetic_shots) -> pd.DataFrame:
    return text_rows(synthetic_shots, 300, game_id=0)


@pytest.mark.slow
@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_row_is_stored_exactly_or_quarantined_with_a_reason(store: ShotStore, template, data):
    game = data.draw(st.integers(30_000_000, 39_999_999))
    rows = data.draw(hostile_rows(template, game))
    before = len(store.load_shots())
    report = ingest_shot_frame(store, rows, source="property")
    assert report.inserted + report.duplicates + report.quarantined == len(rows)
    assert all(r["reason"] for r in report.rejected)

    shots = store.load_shots().set_index(["GAME_ID", "player_id", "SHOT_NUMBER"])
    rejected_lines = {r["line"] for r in report.rejected}
    for position, row in rows.iterrows():
        if position + 1 in rejected_lines:
            continue
        key = tuple(expected_typed(row[c], c) for c in ("GAME_ID", "player_id", "SHOT_NUMBER"))
        stored = shots.loc[key]
        for column in STORED_AS_GIVEN:
            if column in ("GAME_ID", "player_id", "SHOT_NUMBER"):
                continue
            got = stored[column]
            assert (None if pd.isna(got) else got) == expected_typed(row[column], column), column
        for column, raw_column in RAW_COLUMNS.items():
            assert stored[raw_column] == expected_typed(row[column], column), column
        if expected_typed(row["SHOT_CLOCK"], "SHOT_CLOCK") is not None:
            assert stored["SHOT_CLOCK"] == float(row["SHOT_CLOCK"])
    assert len(shots) == before + report.inserted

    # Everything stored passes every rule as the blocking check sees it.
    conditions = violation_conditions(SHOT_RULES, tables.shots, store.engine.dialect.name)
    with store.engine.connect() as conn:
        broken = {m: conn.execute(select(func.count()).where(c)).scalar_one() for m, c in conditions.items()}
    assert not any(broken.values()), broken

    again = ingest_shot_frame(store, rows, source="property")
    assert (again.inserted, again.quarantined_new) == (0, 0)
    assert len(store.load_shots()) == before + report.inserted


def test_rows_without_optional_or_required_fields(store: ShotStore, synthetic_shots):
    rows = text_rows(synthetic_shots, 3, game_id=29_000_004).drop(columns=["W", "FINAL_MARGIN", "player_name"])
    report = ingest_shot_frame(store, rows, source="api:/shots")
    assert (report.inserted, report.quarantined) == (3, 0)
    assert store.load_shots()["W"].isna().all()

    nothing = ingest_shot_frame(store, pd.DataFrame([{}], index=[0]), source="api:/shots")
    assert (nothing.inserted, nothing.quarantined) == (0, 1)
    assert nothing.rejected[0]["reason"].startswith("GAME_ID is missing")
