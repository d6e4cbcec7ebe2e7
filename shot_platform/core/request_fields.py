"""pydantic fields for HTTP request schemas, derived from a :class:`~shot_platform.core.rules.RuleSet`.

The request layer of the rule vocabulary. Text sent for a number is parsed by
the same functions as a file's text (``core.frame_validation``), so a value is
accepted in a request exactly when it would be accepted in a file; ``true`` is
not a number here (pydantic alone would read it as 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from shot_platform.core.frame_validation import exact_integer, finite_number, text_ok
from shot_platform.core.rules import ColumnRule, RuleSet, ScalarOps, Values

NO_NUL = r"^[^\x00]*$"


def _numeric_input(kind: str, parse_text: Callable[[str], Any], message: str) -> Callable[[Any], Any]:
    """A request value's reading as a ``kind`` ("a number", "a whole number"): text as a file's text is
    read (``parse_text``, None when refused with ``message``), ``true``/``false`` refused; the rest is
    left to pydantic."""

    def parse(value: Any) -> Any:
        if isinstance(value, str) and value == "":
            return None  # empty, as in a file: missing (refused unless the field is optional)
        if isinstance(value, bool):
            raise ValueError(f"must be {kind}, not {str(value).lower()}")
        if isinstance(value, str):
            number = parse_text(value)
            if number is None:
                raise ValueError(message)
            return number
        return value

    return parse


def _integer_input(rule: ColumnRule) -> Callable[[Any], Any]:
    parse_number = _numeric_input("a whole number", lambda text: exact_integer(text, rule), rule.message)

    def parse(value: Any) -> Any:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)  # exact: 1e20 becomes 100000000000000000000 and then fails the bound
        return parse_number(value)

    return parse


_number_input = _numeric_input("a number", finite_number, "must be a finite number written with digits")


def _text_input(rule: ColumnRule) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not text_ok(value, rule):
            raise ValueError(rule.message)
        return value

    return check


def request_field(rule: ColumnRule, **field_options: Any) -> tuple[Any, Any]:
    """``(annotation, FieldInfo)`` for ``pydantic.create_model`` from one column rule."""
    options: dict[str, Any] = {"description": rule.reason, **field_options}
    base: Any
    before: Callable[[Any], Any] | None = None
    if rule.kind == "integer":
        base, before = int, _integer_input(rule)
        options |= {"ge": rule.minimum, "le": rule.maximum}
    elif rule.kind == "number":
        base, before = float, _number_input
        options |= {"ge": rule.minimum, "le": rule.maximum, "allow_inf_nan": False}
    elif rule.kind == "choice":
        base = Literal[rule.choices]
        before = _integer_input(rule) if rule.integral else None
    else:
        # Checked by the rule's own test first, so the 400 says what a file's quarantine says;
        # the Field constraints stay for the OpenAPI schema.
        options |= {"max_length": rule.max_length, "pattern": rule.pattern if rule.kind == "pattern" else NO_NUL}
        base, before = str, _text_input(rule)
    if not rule.required:
        base = base | None
        options.setdefault("default", None)
    # Outside the optional union, so that "" becomes None before the type is chosen.
    annotation = Annotated[base, BeforeValidator(before)] if before else base
    return annotation, Field(**options)


def row_rule_validators(rules: RuleSet, field_order: list[str]) -> dict[str, Any]:
    """Field validators applying the row rules: each on the last field it reads (the earlier
    ones are validated by then), so its error names that field."""
    validators = {}
    for rule in rules.rows:
        sources = rules.sources(rule)
        if not set(sources) <= set(field_order):
            continue
        last = max(sources, key=field_order.index)
        validators[f"_row_rule_{rule.name}"] = field_validator(last)(_row_check(rules, rule.name, last))
    return validators


def _row_check(rules: RuleSet, name: str, last: str) -> Callable[..., Any]:
    rule = next(rule for rule in rules.rows if rule.name == name)

    def check(cls: type, value: Any, info: ValidationInfo) -> Any:
        given = {**info.data, last: value}
        values: dict[str, Any] = {}
        for column in rule.columns:
            derived = rules.derived_for(column)
            source = derived.source if derived else column
            if given.get(source) is None:
                return value  # the field itself failed or is absent: its own error says so
            values[column] = derived.function(given[source]) if derived else given[source]
        if not rule.holds(Values(values), ScalarOps()):
            raise ValueError(rule.full_message)
        return value

    return classmethod(check)
