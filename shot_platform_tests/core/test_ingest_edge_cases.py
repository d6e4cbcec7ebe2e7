"""File ingest edge cases on both domains (shots and free throws), one CSV policy (core.ingest.text_table):
a row with an extra value, an undecodable byte, a carriage return inside a quoted field, blank
lines, the same typed values written differently, and the one name rule (core.names) in files,
request frames and the Scores API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shot_platform.core.names import REFUSED_CATEGORIES, check_name, name_problem
from shot_platform.free_throws.ingest.events import (
    FreeThrowFileError,
    ingest_free_throw_file,
    ingest_free_throw_frame,
    read_free_throw_file,
)
from shot_platform.free_throws.schema import FREE_THROW_COLUMNS
from shot_platform.free_throws.scores_api.payloads import PlayerFreeThrows
from shot_platform.free_throws.store import FreeThrowStore
from shot_platform.shots.ingest.shots import ShotFileError, ingest_shot_file, ingest_shot_frame, read_shot_file
from shot_platform.shots.schema import SHOT_LOG_COLUMNS
from shot_platform.shots.store import ShotStore

EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@dataclass
class Domain:
    """What the tests need of one domain: good rows as text, a name column, its ingest."""

    name: str
    rows: Callable[[int], pd.DataFrame]  # n good rows of one game (as text) for a distinct seed
    columns: tuple[str, ...]
    name_column: str
    ingest_file: Callable
    ingest_frame: Callable
    stored: Callable[[object], int]
    quarantine: Callable[[object], pd.DataFrame]


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).map(lambda v: None if pd.isna(v) else str(v)).reset_index(drop=True)


def csv_line(values: list[str | None]) -> str:
    """One row as CSV text (quoted where needed), no line ending."""
    buffer = io.StringIO()
    # The writer quotes a field holding a character of its line terminator: give it both.
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if v is None or pd.isna(v) else v for v in values])
    return buffer.getvalue().removesuffix("\r\n")


def shots_domain(database_url: str, synthetic_shots: pd.DataFrame) -> tuple[Domain, ShotStore]:
    store = ShotStore(database_url)
    store.create_schema()
    counter = iter(range(10**6))

    def rows(count: int) -> pd.DataFrame:
        picked = synthetic_shots.iloc[:count].copy()
        picked["GAME_ID"] = 28_000_000 + next(counter)  # a game of its own: no key collides
        picked["SHOT_NUMBER"] = range(1, count + 1)
        return as_text(picked)

    domain = Domain(
        "shots",
        rows,
        SHOT_LOG_COLUMNS,
        "player_name",
        ingest_shot_file,
        ingest_shot_frame,
        lambda s: len(s.load_shots()),
        lambda s: s.load_quarantine(),
    )
    return domain, store


def free_throws_domain(database_url: str, synthetic_free_throws: pd.DataFrame) -> tuple[Domain, FreeThrowStore]:
    store = FreeThrowStore(database_url)
    store.create_schema()
    first = synthetic_free_throws["game_id"].iloc[0]
    game = synthetic_free_throws[synthetic_free_throws["game_id"] == first]
    counter = iter(range(10**6))

    def rows(count: int) -> pd.DataFrame:
        picked = game.iloc[:count].copy()
        picked["game_id"] = 900_000_000 + next(counter)
        return as_text(picked)

    domain = Domain(
        "free throws",
        rows,
        FREE_THROW_COLUMNS,
        "player",
        ingest_free_throw_file,
        ingest_free_throw_frame,
        lambda s: s.summary()["rows"],
        lambda s: s.load_quarantine(),
    )
    return domain, store


@pytest.fixture
def shots(database_url: str, synthetic_shots: pd.DataFrame):
    domain, store = shots_domain(database_url, synthetic_shots)
    yield domain, store
    store.dispose()


@pytest.fixture
def free_throws(database_url: str, synthetic_free_throws: pd.DataFrame):
    domain, store = free_throws_domain(database_url, synthetic_free_throws)
    yield domain, store
    store.dispose()


@pytest.fixture(params=["shots", "free_throws"])
def domain(request: pytest.FixtureRequest, database_url: str, synthetic_shots, synthetic_free_throws):
    if request.param == "shots":
        domain, store = shots_domain(database_url, synthetic_shots)
    else:
        domain, store = free_throws_domain(database_url, synthetic_free_throws)
    yield domain, store
    store.dispose()


def write_lines(path: Path, lines: list[str], ending: str = "\n") -> Path:
    path.write_bytes((ending.join(lines) + ending).encode("utf-8"))
    return path


def body(domain: Domain, rows: pd.DataFrame) -> list[str]:
    return [",".join(domain.columns)] + [csv_line(list(row)) for row in rows[list(domain.columns)].values]


# -- a row with an extra value: that row is quarantined, never the file ----------------------------
def test_a_row_with_an_extra_value_is_quarantined_as_a_row(domain, tmp_path: Path):
    domain, store = domain
    rows = domain.rows(4)
    lines = body(domain, rows)
    lines[2] += ',"one\ntoo many"'  # row 2 (line 3) gets an extra value, with a line break in it
    report = domain.ingest_file(store, write_lines(tmp_path / "extra.csv", lines))
    assert (report.inserted, report.quarantined) == (3, 1)
    [rejected] = report.rejected
    assert rejected["line"] == 3
    assert rejected["reason"] == f"the row has {len(domain.columns) + 1} values, the header {len(domain.columns)}"
    raw = json.loads(domain.quarantine(store).iloc[0]["raw"])
    assert raw["_extra_values"] == ["one\ntoo many"]


# -- a byte that is not UTF-8: that row is quarantined with its line ----------------------------------
def test_a_latin1_byte_costs_its_row_with_its_line(domain, tmp_path: Path):
    domain, store = domain
    rows = domain.rows(5)
    rows.loc[2, domain.name_column] = "Jos@ Smith"
    text = "\n".join(body(domain, rows)) + "\n"
    # Row 3 (line 4) has its name in Latin-1: "é" as the single byte 0xE9.
    (tmp_path / "latin1.csv").write_bytes(text.encode("utf-8").replace(b"Jos@", b"Jos\xe9"))
    report = domain.ingest_file(store, tmp_path / "latin1.csv")
    assert (report.inserted, report.quarantined) == (4, 1)
    assert report.rejected == [
        {"line": 4, "reason": f"the row has bytes that are not UTF-8 (in {domain.name_column}): save the file as UTF-8"}
    ]
    raw = json.loads(domain.quarantine(store).iloc[0]["raw"])
    assert raw[domain.name_column] == "Jos\udce9 Smith"  # the byte, kept as its escape


def test_a_latin1_byte_in_a_gzip_file_still_costs_one_row(free_throws, tmp_path: Path):
    import gzip

    domain, store = free_throws
    rows = domain.rows(30)
    data = ("\n".join(body(domain, rows)) + "\n").encode().replace(b"free throw", b"free thr\xf6w", 1)
    (tmp_path / "ft.csv.gz").write_bytes(gzip.compress(data))
    report = ingest_free_throw_file(store, tmp_path / "ft.csv.gz")
    assert (report.inserted, report.quarantined) == (29, 1)
    assert report.rejected[0]["line"] == 2 and "not UTF-8 (in play)" in report.rejected[0]["reason"]


# -- a lone carriage return inside a quoted field stays in its field ---------------------------------
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_lone_cr_inside_a_quoted_field_stays_one_row(free_throws, tmp_path: Path, ending: str):
    domain, store = free_throws
    rows = domain.rows(4)
    rows.loc[1, "play"] = rows.loc[1, "play"].replace(" free", "\rfree", 1)
    report = ingest_free_throw_file(store, write_lines(tmp_path / "cr.csv", body(domain, rows), ending))
    assert (report.rows_read, report.inserted, report.quarantined) == (4, 4, 0)
    assert rows.loc[1, "play"] in store.load_events()["play"].tolist()


def test_a_lone_cr_in_a_quoted_shot_name_is_one_row_refused_by_the_name_rule(shots, tmp_path: Path):
    domain, store = shots
    rows = domain.rows(4)
    rows.loc[1, "player_name"] = "Kobe\rBryant"
    lines = body(domain, rows)
    lines.insert(3, "")  # a blank line after the row: the next rows' lines move on by one
    report = ingest_shot_file(store, write_lines(tmp_path / "cr.csv", lines))
    assert (report.rows_read, report.inserted, report.quarantined) == (4, 3, 1)
    assert report.rejected[0]["line"] == 3 and report.rejected[0]["reason"].startswith("player_name must be a name")
    assert "\r" not in report.rejected[0]["reason"] and "\n" not in report.rejected[0]["reason"]


# -- line numbers are the file's, whatever blank lines and multi-line fields come before -------------
@st.composite
def layouts(draw: st.DrawFn, count: int) -> tuple[list[int], list[bool], list[bool], str]:
    blanks = draw(st.lists(st.integers(0, 3), min_size=count, max_size=count))  # blank lines before each row
    bad = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    multi = draw(st.lists(st.booleans(), min_size=count, max_size=count))  # a line break in a quoted field
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return blanks, bad, multi, ending


@given(data=st.data())
@EXAMPLES
def test_quarantine_lines_are_the_file_lines(domain, tmp_path: Path, data):
    domain, store = domain
    rows = domain.rows(6)
    blanks, bad, multi, ending = data.draw(layouts(len(rows)))
    number_column = "PERIOD" if domain.name == "shots" else "period"
    text_column = "MATCHUP" if domain.name == "shots" else "play"
    lines, expected, line = [",".join(domain.columns)], [], 2
    for position in range(len(rows)):
        row = rows.iloc[position].copy()
        lines += [""] * blanks[position]
        line += blanks[position]
        if bad[position]:
            row[number_column] = "99"
            expected.append(line)
        if multi[position]:
            row[text_column] = "two\nlines"  # breaks the MATCHUP pattern; a play text may hold it
            if domain.name == "shots" and not bad[position]:
                expected.append(line)
        lines.append(csv_line([row[c] for c in domain.columns]))
        line += 2 if multi[position] else 1
    report = domain.ingest_file(store, write_lines(tmp_path / "lines.csv", lines, ending))
    assert [r["line"] for r in report.rejected] == expected
    assert report.inserted == len(rows) - len(expected)


# -- the same typed values written differently are duplicates, not conflicts --------------------------
def integer_spellings(value: int) -> st.SearchStrategy[str]:
    forms = [str(value), f"+{value}", f"0{value}", f"{value}.0", f"{value}.000", f"{value}e0", f"{value}0e-1"]
    return st.sampled_from(forms)


@given(data=st.data())
@EXAMPLES
def test_the_same_free_throws_written_differently_are_duplicates(free_throws, tmp_path: Path, data):
    domain, store = free_throws
    rows = domain.rows(5)
    before = domain.stored(store)
    first = domain.ingest_file(store, write_lines(tmp_path / "first.csv", body(domain, rows)))
    assert first.inserted == 5
    respelled = rows.copy()
    for column in ("game_id", "period", "shot_made"):
        respelled[column] = [data.draw(integer_spellings(int(v)), label=column) for v in rows[column]]
    again = domain.ingest_file(store, write_lines(tmp_path / "again.csv", body(domain, respelled)))
    assert (again.inserted, again.duplicates, again.quarantined) == (0, 5, 0), again.rejected
    # Within one file too: the same row spelled two ways is one row.
    both = ingest_free_throw_frame(store, pd.concat([rows, respelled], ignore_index=True), source="both")
    assert (both.inserted, both.duplicates, both.quarantined) == (0, 10, 0)
    assert domain.stored(store) == before + 5


def number_spellings(value: float) -> st.SearchStrategy[str]:
    forms = [repr(value), f"{value:.6f}", f"{value:e}", f"{value * 10!r}e-1", f"{value:.17g}"]
    if value >= 0:
        forms.append(f"+{value!r}")
    return st.sampled_from([form for form in forms if float(form) == value])


@given(data=st.data())
@EXAMPLES
def test_the_same_shots_written_differently_are_duplicates(shots, tmp_path: Path, data):
    domain, store = shots
    rows = domain.rows(4)
    assert domain.ingest_file(store, write_lines(tmp_path / "first.csv", body(domain, rows))).inserted == 4
    respelled = rows.copy()
    for column in ("GAME_ID", "player_id", "SHOT_NUMBER", "PERIOD", "DRIBBLES", "FGM", "PTS"):
        respelled[column] = [data.draw(integer_spellings(int(v)), label=column) for v in rows[column]]
    for column in ("SHOT_DIST", "CLOSE_DEF_DIST", "TOUCH_TIME"):
        respelled[column] = [data.draw(number_spellings(float(v)), label=column) for v in rows[column]]
    again = domain.ingest_file(store, write_lines(tmp_path / "again.csv", body(domain, respelled)))
    assert (again.inserted, again.duplicates, again.quarantined, again.conflicts) == (0, 4, 0, 0), again.rejected


# -- one name rule: files, request frames and the Scores API ------------------------------------------
refused_character = st.characters(categories=REFUSED_CATEGORIES)
file_refused_character = st.characters(categories=tuple(c for c in REFUSED_CATEGORIES if c != "Cs"))
fine_names = st.text(st.characters(exclude_categories=(*REFUSED_CATEGORIES, "Zs")), min_size=1, max_size=20)


@settings(deadline=None)  # the first call builds the character class
@given(name=fine_names, bad=refused_character, at=st.integers(0, 20))
def test_the_name_rule_refuses_exactly_the_listed_categories(name: str, bad: str, at: int):
    assert name_problem(name) is None and check_name(name) == name
    spoiled = name[:at] + bad + name[at:]
    assert name_problem(spoiled).startswith(f"U+{ord(bad):04X} (")
    with pytest.raises(ValueError, match="is not allowed: a name may not hold control"):
        check_name(spoiled)


@settings(deadline=None)
@given(bad=file_refused_character, at=st.integers(1, 9))
def test_the_scores_api_refuses_a_player_name_by_the_same_rule(bad: str, at: int):
    # (A lone surrogate, Cs, never reaches the rule: pydantic refuses it as not a valid string.)
    name = "Kobe Bryant"[:at] + bad + "Kobe Bryant"[at:]
    with pytest.raises(ValidationError, match="is not allowed: a name may not hold control"):
        PlayerFreeThrows.model_validate({"player": name, "free_throws_attempted": 1, "free_throws_made": 0})
    good = PlayerFreeThrows.model_validate(
        {"player": "Nikola Jokić", "free_throws_attempted": 1, "free_throws_made": 0}
    )
    assert good.player == "Nikola Jokić"


@given(bad=file_refused_character, at=st.integers(1, 9), as_file=st.booleans())
@EXAMPLES
def test_a_name_with_a_refused_character_is_quarantined_from_files_and_frames(domain, tmp_path, bad, at, as_file):
    domain, store = domain
    rows = domain.rows(3)
    rows.loc[1, domain.name_column] = "Kobe Bryant"[:at] + bad + "Kobe Bryant"[at:]
    if as_file:
        report = domain.ingest_file(store, write_lines(tmp_path / "names.csv", body(domain, rows)))
    else:
        report = domain.ingest_frame(store, rows, source="api")
    assert (report.inserted, report.quarantined) == (2, 1)
    assert report.rejected[0]["reason"].startswith(f"{domain.name_column} must be")
    assert all(bad not in name for name in _stored_names(domain, store))


def _stored_names(domain: Domain, store) -> list[str]:
    if domain.name == "shots":
        return store.load_shots()["player_name"].dropna().tolist()
    return store.load_events()["player"].tolist()


# -- messages are one line: what came from the file is escaped ---------------------------------------
@pytest.mark.parametrize(
    ("read", "error"), [(read_shot_file, ShotFileError), (read_free_throw_file, FreeThrowFileError)]
)
def test_file_errors_are_one_line_with_file_text_escaped(tmp_path: Path, read, error):
    (tmp_path / "odd.csv").write_bytes('"a\nb","c\u202ed",x\n1,2,3\n'.encode())
    with pytest.raises(error) as raised:
        read(tmp_path / "odd.csv")
    message = str(raised.value)
    assert "\n" not in message and "\u202e" not in message
    assert "a\\nb, c\\u202ed, x" in message and "columns missing" in message


def test_free_throw_row_hashes_of_plainly_written_rows_are_unchanged(synthetic_free_throws: pd.DataFrame):
    """Rows stored before integers were hashed in one spelling keep their hash: a re-ingest of the same
    file stays duplicates, never conflicts."""
    from shot_platform.free_throws.ingest.events import row_hashes

    rows = as_text(synthetic_free_throws.head(300))
    rows.loc[3, "player"] = None
    before = pd.util.hash_pandas_object(rows.astype("string").fillna(""), index=False).map(lambda v: f"{v:016x}")
    assert row_hashes(rows).tolist() == before.tolist()
    respelled = rows.assign(period=rows["period"] + ".0")
    assert row_hashes(respelled).tolist() == before.tolist()
