"""The domain-free rule vocabulary (core/rules.py) and its three derivations:
pandas validation, pydantic request fields, SQL violation conditions (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError, create_model
from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table, create_engine, func, select

from shot_platform.core.frame_validation import exact_integer, finite_number, validate_frame
from shot_platform.core.request_fields import request_field, row_rule_validators
from shot_platform.core.rules import BIGINT_MAX, INTEGER_MAX, ColumnRule, Derived, RowRule, RuleSet
from shot_platform.core.sql_checks import unchecked_row_rules, violation_conditions

RULES = RuleSet(
    name="example",
    columns=(
        ColumnRule("ID", "integer", minimum=0, maximum=BIGINT_MAX, reason="fits the store's BIGINT"),
        ColumnRule("COUNT", "integer", minimum=0, maximum=100, reason="a count"),
        ColumnRule("SIZE", "number", minimum=0, maximum=94, reason="a court is 94 ft long"),
        ColumnRule("HALF", "choice", choices=(1, 2), reason="two halves"),
        ColumnRule("SIDE", "choice", choices=("H", "A"), reason="home or away"),
        ColumnRule("NAME", "text", max_length=8, required=False, reason="VARCHAR(8)"),
        ColumnRule(
            "CLOCK", "pattern", pattern=r"^[0-9]{1,2}:[0-5][0-9]$", max_length=5, expected="'M:SS'", reason="M:SS"
        ),
    ),
    rows=(
        RowRule(
            "clock_fits_half",
            ("HALF", "clock_s"),
            "CLOCK is longer than the half",
            "the second half is 10 minutes",
            lambda v, ops: v["clock_s"] <= ops.where(v["HALF"] == 2, 600, 1200),
        ),
        RowRule("count_le", ("COUNT", "SIZE"), "COUNT above SIZE", "eg", lambda v, o: v["COUNT"] <= v["SIZE"]),
    ),
    derived=(Derived("clock_s", "CLOCK", lambda t: int(t[:-3]) * 60 + int(t[-2:]), stored_as="clock_s"),),
)

GOOD = {"ID": "7", "COUNT": "3", "SIZE": "12.5", "HALF": "2", "SIDE": "H", "NAME": "ann", "CLOCK": "9:59"}


def check(**changes) -> str:
    row = {**GOOD, **changes}
    return validate_frame(RULES, pd.DataFrame([row], dtype=object)).reasons.iloc[0]


def test_declarations_that_cannot_protect_a_store_are_refused():
    with pytest.raises(ValueError, match="need a minimum and a maximum"):
        ColumnRule("X", "integer", reason="r", minimum=0)
    with pytest.raises(ValueError, match="fit a 64-bit integer"):
        ColumnRule("X", "integer", reason="r", minimum=0, maximum=2**64)
    with pytest.raises(ValueError, match="max_length"):
        ColumnRule("X", "text", reason="r")
    with pytest.raises(ValueError, match="give the reason"):
        ColumnRule("X", "number", reason="", minimum=0, maximum=1)
    with pytest.raises(ValueError, match="all text or all integers"):
        ColumnRule("X", "choice", reason="r", choices=(1, "a"))
    with pytest.raises(ValueError, match="more than one rule for X"):
        RuleSet("r", (ColumnRule("X", "choice", reason="r", choices=(1,)),) * 2)
    with pytest.raises(ValueError, match="reads unknown Y"):
        only_x = (ColumnRule("X", "choice", reason="r", choices=(1,)),)
        RuleSet("r", only_x, rows=(RowRule("n", ("Y",), "m", "r", bool),))


def test_a_good_row_passes_and_is_typed_exactly():
    result = validate_frame(RULES, pd.DataFrame([{**GOOD, "ID": "9223372036854775807", "COUNT": "3.0"}]))
    assert result.reasons.iloc[0] == ""
    typed = result.typed.iloc[0]
    values = (typed["ID"], typed["COUNT"], typed["SIZE"], typed["HALF"], typed["clock_s"])
    assert values == (BIGINT_MAX, 3, 12.5, 2, 599)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ID": "9223372036854775808"}, "ID must be a whole number within 0..9,223,372,036,854,775,807"),
        ({"ID": "1e300"}, "ID must be a whole number"),
        ({"ID": "-1"}, "ID must be a whole number"),
        ({"COUNT": "3.5"}, "COUNT must be a whole number within 0..100 (a count)"),
        ({"COUNT": "true"}, "COUNT must be a whole number"),
        ({"SIZE": "inf"}, "SIZE must be a finite number within 0..94 (a court is 94 ft long)"),
        ({"SIZE": "1e999"}, "SIZE must be a finite number"),
        ({"SIZE": "NaN"}, "SIZE must be a finite number"),
        ({"SIZE": "\u0665"}, "SIZE must be a finite number"),  # ARABIC-INDIC FIVE: Python's float reads it as 5
        ({"HALF": "3"}, "HALF must be 1 or 2 (two halves)"),
        ({"SIDE": "h"}, "SIDE must be 'H' or 'A'"),
        ({"NAME": "x" * 9}, "NAME must be empty or text of at most 8 characters"),
        ({"NAME": "a\x00b"}, "NAME must be empty or text of at most 8 characters without NUL bytes"),
        ({"NAME": "\udcff"}, "NAME must be empty or text"),
        ({"CLOCK": "9:60"}, "CLOCK must be 'M:SS'"),
        ({"CLOCK": "9:59\n"}, "CLOCK must be 'M:SS'"),
        ({"CLOCK": "19:00"}, "CLOCK is longer than the half (the second half is 10 minutes)"),
        ({"ID": None}, "ID is missing"),
    ],
)
def test_each_kind_of_rule_says_what_is_wrong(changes: dict, expected: str):
    assert expected in check(**changes)


def test_missing_columns_and_optional_values():
    frame = pd.DataFrame([{k: v for k, v in GOOD.items() if k not in ("ID", "NAME")}])
    assert validate_frame(RULES, frame).reasons.iloc[0] == "ID column is missing"
    assert check(NAME="") == ""
    lenient = RULES.subset(["ID", "COUNT"], optional=["ID"])
    assert [r.required for r in lenient.columns] == [False, True] and lenient.rows == ()


def test_row_rules_are_not_applied_when_a_column_is_already_wrong():
    assert check(HALF="9", CLOCK="19:00") == "HALF must be 1 or 2 (two halves)"


@given(st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=12)))
@settings(max_examples=300)
def test_integer_text_is_parsed_exactly_or_refused(text: str):
    rule = RULES["ID"]
    value = exact_integer(text, rule)
    try:
        reference = Decimal(text) if text.isascii() and text.strip() == text and "_" not in text else None
    except ArithmeticError:
        reference = None
    if value is not None:
        assert reference is not None and reference == value and 0 <= value <= BIGINT_MAX
    elif reference is not None and reference.is_finite() and reference == reference.to_integral_value():
        assert not 0 <= reference <= BIGINT_MAX or "." in text or "e" in text.lower() or text.startswith("+")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_number_text_round_trips_or_is_refused(number: float):
    value = finite_number(repr(number))
    if math.isfinite(number):
        assert value == number
    else:
        assert value is None


def request_model():
    fields = {rule.column: request_field(rule) for rule in RULES.columns}
    return create_model("Example", **fields, __validators__=row_rule_validators(RULES, list(fields)))


def test_request_fields_carry_the_same_bounds():
    model = request_model()
    good = model.model_validate({**GOOD, "ID": 7, "COUNT": 3.0, "HALF": 2})
    assert (good.ID, good.COUNT, good.HALF) == (7, 3, 2)
    for changes, field in [
        ({"ID": 2**63}, "ID"),
        ({"ID": "9223372036854775808"}, "ID"),
        ({"COUNT": True}, "COUNT"),
        ({"COUNT": 1e300}, "COUNT"),
        ({"SIZE": float("inf")}, "SIZE"),
        ({"SIZE": "inf"}, "SIZE"),
        ({"HALF": 3}, "HALF"),
        ({"NAME": "a\x00"}, "NAME"),
        ({"NAME": "x" * 9}, "NAME"),
        ({"CLOCK": "19:00"}, "CLOCK"),
    ]:
        with pytest.raises(ValidationError) as error:
            model.model_validate({**GOOD, **changes})
        assert [e["loc"] for e in error.value.errors()] == [(field,)], changes
    assert model.model_validate({**GOOD, "NAME": None}).NAME is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"COUNT": True}, "must be a whole number, not true"),
        ({"COUNT": "3.5"}, "COUNT must be a whole number within 0..100 (a count)"),
        ({"SIZE": False}, "must be a number, not false"),
        ({"SIZE": "12,5"}, "must be a finite number written with digits"),
        ({"SIZE": ""}, "Input should be a valid number"),  # empty is missing: refused, the field is required
    ],
)
def test_request_fields_say_what_is_wrong_as_a_file_would(changes: dict, message: str):
    with pytest.raises(ValidationError) as error:
        request_model().model_validate({**GOOD, **changes})
    assert message in error.value.errors()[0]["msg"]


@pytest.fixture
def example_table(database_url: str):
    metadata = MetaData()
    table = Table(
        "example",
        metadata,
        Column("id", BigInteger),
        Column("count", Integer),
        Column("size", Float),
        Column("half", Integer),
        Column("side", String(1)),
        Column("name", String(8)),
        Column("clock", String(5)),
        Column("clock_s", Float),
    )
    engine = create_engine(database_url)
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_sql_conditions_count_each_broken_rule(example_table):
    engine, table = example_table
    good = {"id": 7, "count": 3, "size": 12.5, "half": 2, "side": "H", "name": None, "clock": "9:59", "clock_s": 599}
    rows = [
        good,
        {**good, "size": float("inf")},
        {**good, "size": -1.0, "count": 200},
        {**good, "clock": "9:99"},
        {**good, "clock_s": 1000.0},
        {**good, "half": 3, "side": "X"},
        {**good, "id": None},
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    conditions = violation_conditions(RULES, table, engine.dialect.name)
    with engine.connect() as conn:
        counts = {m: conn.execute(select(func.count()).where(c)).scalar_one() for m, c in conditions.items()}
    by_column = {message.split(" ")[0]: count for message, count in counts.items() if " must be " in message}
    assert by_column == {"ID": 1, "COUNT": 1, "SIZE": 2, "HALF": 1, "SIDE": 1, "NAME": 0, "CLOCK": 1}
    assert counts["CLOCK is longer than the half (the second half is 10 minutes)"] == 1
    assert counts["COUNT above SIZE (eg)"] == 1
    assert unchecked_row_rules(RULES) == []


def test_integer_bounds_name_the_sql_types():
    assert (BIGINT_MAX, INTEGER_MAX) == (9223372036854775807, 2147483647)
