"""The shot rules (shots/rules.py) are the one source of ingest validation, the /predict schema and the
blocking SQL check: structurally, and on generated rows (files and requests accept the same values)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql

from shot_platform.core.frame_validation import validate_frame
from shot_platform.core.rules import BIGINT_MAX, INTEGER_MAX, markdown_table
from shot_platform.core.sql_checks import unchecked_row_rules, violation_conditions
from shot_platform.shots.rules import REQUEST_COLUMNS, REQUEST_RULES, SHOT_RULES
from shot_platform.shots.schema import SHOT_LOG_COLUMNS
from shot_platform.shots.serving.schema import ShotRequest
from shot_platform.shots.store import tables

SQL_TYPE_MAX = {"BIGINT": BIGINT_MAX, "INTEGER": INTEGER_MAX}


def test_one_rule_per_shot_log_column_each_fitting_its_store_column():
    assert tuple(rule.column for rule in SHOT_RULES.columns) == SHOT_LOG_COLUMNS
    for rule in SHOT_RULES.columns:
        column = tables.shots.c[rule.store_column]
        sql_type = column.type.compile(dialect=postgresql.dialect())
        if rule.integral:
            high = rule.maximum if rule.kind == "integer" else max(rule.choices)
            low = rule.minimum if rule.kind == "integer" else min(rule.choices)
            assert -SQL_TYPE_MAX[sql_type] - 1 <= low and high <= SQL_TYPE_MAX[sql_type], rule.column
        elif rule.textual and rule.kind != "choice":
            assert rule.max_length <= column.type.length, rule.column
        elif rule.textual:
            assert max(len(choice) for choice in rule.choices) <= column.type.length, rule.column
        assert column.nullable or rule.required, rule.column


def test_every_rule_reaches_the_request_schema_and_the_sql_check():
    fields = ShotRequest.model_fields
    assert list(fields) == list(REQUEST_COLUMNS)
    for name in REQUEST_COLUMNS:
        rule, info = REQUEST_RULES[name], fields[name]
        bounds = {type(m).__name__: m for m in info.metadata}
        if rule.kind in ("integer", "number"):
            assert (bounds["Ge"].ge, bounds["Le"].le) == (rule.minimum, rule.maximum), name
        assert info.is_required() == rule.required, name
    conditions = violation_conditions(SHOT_RULES, tables.shots, "postgresql")
    assert set(conditions) == {r.message for r in SHOT_RULES.columns} | {
        r.full_message for r in SHOT_RULES.rows if r.name not in unchecked_row_rules(SHOT_RULES)
    }
    # Only rules on values the store does not keep are left to ingest.
    assert unchecked_row_rules(SHOT_RULES) == ["matchup_date_exists", "location_matches_matchup"]


GOOD = {
    "SHOT_DIST": 12.5,
    "CLOSE_DEF_DIST": 3.1,
    "SHOT_CLOCK": 10.0,
    "DRIBBLES": 2,
    "TOUCH_TIME": 2.1,
    "PERIOD": 1,
    "GAME_CLOCK": "5:12",
    "PTS_TYPE": 2,
    "LOCATION": "H",
    "player_id": 201289,
    "CLOSEST_DEFENDER_PLAYER_ID": 202667,
    "GAME_ID": 21400001,
    "SHOT_NUMBER": 3,
}
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    st.integers(min_value=-5, max_value=800),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1, max_value=100),
    st.sampled_from(["5:12", "12:00", "0:00", "9:60", "12:01", "H", "A", "2", "3", "18.0", "1e3", "inf", "", " 4"]),
    st.text(max_size=8),
)


def json_text(value) -> str | None:
    """How a value arrives in a file or a POST /shots body (as text)."""
    if value is None:
        return None
    return json.dumps(value) if isinstance(value, bool) else str(value)


@given(st.dictionaries(st.sampled_from(REQUEST_COLUMNS), ANY_VALUE, max_size=4))
@settings(max_examples=200, deadline=None)
def test_a_request_is_accepted_exactly_when_the_same_row_in_a_file_would_be(changes: dict):
    body = {**GOOD, **changes}
    try:
        ShotRequest.model_validate(body)
        accepted = True
    except ValidationError:
        accepted = False
    row = pd.DataFrame([{name: json_text(value) for name, value in body.items()}], dtype=object)
    reasons = validate_frame(REQUEST_RULES, row).reasons.iloc[0]
    assert accepted == (reasons == ""), (body, reasons)


def test_the_docs_table_is_the_declaration():
    readme = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text()
    table = readme.split("<!-- rules table: generated -->\n")[1].split("\n<!-- end of rules table -->")[0]
    assert table == markdown_table(SHOT_RULES), "regenerate docs/validation.md with core.rules.markdown_table"
