"""A small vocabulary for declaring a domain's validation rules once.

A domain writes one :class:`RuleSet`: a :class:`ColumnRule` per column (its kind,
bounds, allowed values, length, pattern and the *reason* for each bound) and a
:class:`RowRule` for each fact that spans columns. Every check is derived from
that declaration, never written again by hand:

- ``core.frame_validation.validate_frame``: text rows (a file, a request body)
  -> one reason per row (empty when usable) and the typed values;
- ``core.request_fields``: pydantic field types and bounds for HTTP request schemas;
- ``core.sql_checks``: SQL conditions that count stored rows breaking each rule.

Why not pandera: it would give the pandas layer only. The request schema and the
SQL check would still need their own derivations, and our ingest needs what
pandera does not do: exact integers from text (``9223372036854775808`` must be
refused, not rounded through float64), one quarantine reason per row with the
row's own line, and the same text parser for requests. The vocabulary below is
what those three layers need and nothing more.

Declaring a rule (each domain declares its own in its ``rules`` module)::

    ColumnRule("DRIBBLES", "integer", minimum=0, maximum=200,
               reason="more than 200 dribbles before one attempt is a tracking error")

Kinds:

- ``integer``: a whole number, exact (text like ``18``, ``18.0`` or ``1e3``), within
  ``minimum..maximum`` (both required: the bound the store's column or a model needs);
- ``number``: a finite number (never ``inf``, ``nan`` or an overflow like ``1e999``)
  within ``minimum..maximum`` (both required);
- ``choice``: one of ``choices`` (all integers, compared as numbers; or all text,
  compared exactly);
- ``text``: at most ``max_length`` characters (required: the VARCHAR size), no NUL
  byte, valid Unicode;
- ``pattern``: text as above that matches ``pattern`` in full.

``is_name=True`` (text and pattern kinds) also applies the one rule for names from
outside (``core.names``: no control, format/bidi, private-use, surrogate or
line-separator characters), with its own quarantine reason (:attr:`ColumnRule.name_message`).

``required=False`` lets a value be empty. ``stored_as`` names the store column
holding the value as given when it differs from ``column.lower()`` (e.g. a raw
value kept next to a cleaned one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from shot_platform.core.names import RULE as NAME_RULE

Kind = Literal["integer", "number", "choice", "text", "pattern"]
KINDS: tuple[str, ...] = ("integer", "number", "choice", "text", "pattern")

# Upper bounds of SQL integer types, for reasons such as "fits the store's BIGINT".
BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1

# How a number is written in text, for every layer (files, request bodies):
# digits with an optional fraction and exponent. No "inf", "nan", hex or spaces.
NUMBER_TEXT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


@dataclass(frozen=True)
class ColumnRule:
    """The one declaration of what a column may hold, and why."""

    column: str
    kind: Kind
    reason: str
    required: bool = True
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[Any, ...] = ()
    max_length: int | None = None
    pattern: str | None = None
    expected: str | None = None  # how a pattern is shown to people, e.g. "'M:SS'"
    stored_as: str | None = None
    is_name: bool = False  # a person's name: core.names' rule applies too

    def __post_init__(self) -> None:
        problem = self._declaration_problem()
        if problem:
            raise ValueError(f"rule for {self.column}: {problem}")

    def _declaration_problem(self) -> str | None:
        if self.kind not in KINDS:
            return f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
        if not self.reason:
            return "give the reason for the rule"
        if self.kind in ("integer", "number"):
            if self.minimum is None or self.maximum is None:
                return "integer and number rules need a minimum and a maximum (what the store or model can hold)"
            if not self.minimum <= self.maximum:
                return "minimum is above maximum"
        if self.kind == "integer":
            if not all(isinstance(bound, int) for bound in (self.minimum, self.maximum)):
                return "integer bounds must be integers"
            if self.minimum < -BIGINT_MAX - 1 or self.maximum > BIGINT_MAX:
                return "integer bounds must fit a 64-bit integer (BIGINT)"
        if self.kind == "choice":
            if not self.choices:
                return "a choice rule needs choices"
            if not (all(isinstance(c, str) for c in self.choices) or all(_is_int(c) for c in self.choices)):
                return "choices must be all text or all integers"
        if self.is_name and self.kind not in ("text", "pattern"):
            return "only text and pattern rules can be names"
        if self.kind in ("text", "pattern") and not self.max_length:
            return "text rules need max_length (the column's VARCHAR size)"
        if self.kind == "pattern":
            if not self.pattern:
                return "a pattern rule needs a pattern"
            re.compile(self.pattern)
        return None

    @property
    def store_column(self) -> str:
        return self.stored_as or self.column.lower()

    @property
    def integral(self) -> bool:
        """Parsed as an exact integer (integer kind, or a choice among integers)."""
        return self.kind == "integer" or (self.kind == "choice" and _is_int(self.choices[0]))

    @property
    def numeric(self) -> bool:
        return self.integral or self.kind == "number"

    @property
    def textual(self) -> bool:
        return not self.numeric

    def describe(self) -> str:
        """What a valid value looks like, in words."""
        if self.kind == "integer":
            return f"a whole number within {self.minimum:,}..{self.maximum:,}"
        if self.kind == "number":
            return f"a finite number within {self.minimum:g}..{self.maximum:g}"
        if self.kind == "choice":
            shown = [repr(c) if isinstance(c, str) else str(c) for c in self.choices]
            return " or ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)
        if self.kind == "pattern":
            return f"{self.expected or 'text matching ' + repr(self.pattern)} (at most {self.max_length} characters)"
        return f"text of at most {self.max_length} characters without NUL bytes"

    @property
    def message(self) -> str:
        """The quarantine reason for a value that breaks the rule."""
        empty = "" if self.required else "empty or "
        return f"{self.column} must be {empty}{self.describe()} ({self.reason})"

    @property
    def name_message(self) -> str:
        """The quarantine reason for a name holding a refused character (``core.names``)."""
        return f"{self.column} must be {NAME_RULE}"

    @property
    def missing_message(self) -> str:
        return f"{self.column} is missing ({self.column} must be {self.describe()})"


class Values:
    """Column values handed to a :class:`RowRule`: ``values["PERIOD"]``.

    Depending on the layer they are pandas Series (validation), plain Python
    values (one request) or SQLAlchemy columns (the stored-data check); a rule
    written with operators and ``ops.where`` works on all three.
    """

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping

    def __getitem__(self, name: str) -> Any:
        return self._mapping[name]


class Ops:
    """The operations a row rule may use beyond Python's operators, per layer."""

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class ScalarOps(Ops):
    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        return if_true if condition else if_false


@dataclass(frozen=True)
class Derived:
    """A value computed from one column's valid value, for row rules (e.g. seconds from 'M:SS').

    ``stored_as`` names the store column holding it; rules that read a derived
    value without one are not checked on stored data.
    """

    name: str
    source: str
    function: Callable[[Any], Any]
    stored_as: str | None = None


@dataclass(frozen=True)
class RowRule:
    """A fact across columns. ``holds(values, ops)`` is true for a good row.

    It is applied only where every column it reads is present and valid on its
    own, so it never sees a missing or unparsed value.
    """

    name: str
    columns: tuple[str, ...]
    message: str
    reason: str
    holds: Callable[[Values, Ops], Any]

    @property
    def full_message(self) -> str:
        return f"{self.message} ({self.reason})"


@dataclass(frozen=True)
class RuleSet:
    """A domain's rules: one declaration per column, plus rules across columns."""

    name: str
    columns: tuple[ColumnRule, ...]
    rows: tuple[RowRule, ...] = ()
    derived: tuple[Derived, ...] = ()
    _by_name: dict[str, ColumnRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [rule.column for rule in self.columns]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"{self.name}: more than one rule for {', '.join(duplicated)}")
        object.__setattr__(self, "_by_name", {rule.column: rule for rule in self.columns})
        derived = {item.name for item in self.derived}
        for item in self.derived:
            if item.source not in self._by_name:
                raise ValueError(f"{self.name}: derived {item.name} reads unknown column {item.source}")
        for rule in self.rows:
            unknown = [name for name in rule.columns if name not in self._by_name and name not in derived]
            if unknown:
                raise ValueError(f"{self.name}: row rule {rule.name} reads unknown {', '.join(unknown)}")

    def __getitem__(self, column: str) -> ColumnRule:
        return self._by_name[column]

    def __contains__(self, column: object) -> bool:
        return column in self._by_name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def derived_for(self, name: str) -> Derived | None:
        return next((item for item in self.derived if item.name == name), None)

    def sources(self, rule: RowRule) -> tuple[str, ...]:
        """The columns a row rule depends on, derived values resolved to their source."""
        return tuple(dict.fromkeys(self.derived_for(n).source if self.derived_for(n) else n for n in rule.columns))

    def subset(self, columns: Iterable[str], optional: Iterable[str] = ()) -> RuleSet:
        """The rules of some columns (and the row rules among them); ``optional`` ones may be empty."""
        keep, optional = list(columns), set(optional)
        rules = tuple(replace(self[c], required=False) if c in optional else self[c] for c in keep)
        kept = set(keep)
        return RuleSet(
            name=self.name,
            columns=rules,
            rows=tuple(rule for rule in self.rows if set(self.sources(rule)) <= kept),
            derived=tuple(item for item in self.derived if item.source in kept),
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def markdown_table(rules: RuleSet) -> str:
    """The rules as the table in docs/validation.md (a test keeps the two equal)."""
    lines = ["| column | rule | empty allowed | why |", "| --- | --- | --- | --- |"]
    for rule in rules.columns:
        described = rule.describe().replace("|", "\\|")
        lines.append(f"| `{rule.column}` | {described} | {'yes' if not rule.required else 'no'} | {rule.reason} |")
    lines += ["", "| across columns | a row is refused when | why |", "| --- | --- | --- |"]
    for row in rules.rows:
        lines.append(f"| `{row.name}` | {row.message} | {row.reason} |")
    return "\n".join(lines)
