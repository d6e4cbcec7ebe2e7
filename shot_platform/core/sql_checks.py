"""SQL conditions that find stored rows breaking a :class:`~shot_platform.core.rules.RuleSet`.

The database layer of the rule vocabulary, for blocking asset checks: each rule
becomes one condition that is true for a violating row, keyed by the rule's
message, so a failed check can say which rule and how many rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, case, func, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from shot_platform.core.rules import ColumnRule, Ops, RuleSet, Values


class SqlOps(Ops):
    def where(self, condition, if_true, if_false):
        return case((condition, if_true), else_=if_false)


def column_violation(rule: ColumnRule, table: Table, dialect: str) -> ColumnElement[bool]:
    """True for a stored value that breaks ``rule``."""
    column = table.c[rule.store_column]
    conditions: list[Any] = []
    if rule.required:
        conditions.append(column.is_(None))
    if rule.kind in ("integer", "number"):
        # NaN sorts above every number in PostgreSQL and infinities lie outside any bound;
        # SQLite stores NaN as NULL.
        conditions += [column < rule.minimum, column > rule.maximum]
    elif rule.kind == "choice":
        conditions.append(column.not_in(list(rule.choices)))
    else:
        conditions.append(func.length(column) > rule.max_length)
        if dialect == "sqlite":  # PostgreSQL text cannot hold NUL at all
            conditions.append(func.instr(column, "\x00") > 0)
        if rule.kind == "pattern":
            # SQLAlchemy gives SQLite a REGEXP function (Python's re); PostgreSQL uses `~`.
            conditions.append(not_(column.regexp_match(rule.pattern)))
    return or_(*conditions)


def stored_name(rules: RuleSet, name: str) -> str | None:
    """The store column of a rule column or derived value; None when not stored."""
    if name in rules:
        return rules[name].store_column
    derived = rules.derived_for(name)
    return derived.stored_as if derived else None


def violation_conditions(rules: RuleSet, table: Table, dialect: str) -> dict[str, ColumnElement[bool]]:
    """``{rule message: condition}`` for every rule that can be checked on ``table``.

    A row rule reading a value the table does not store is left out (see
    :func:`unchecked_row_rules`).
    """
    conditions = {rule.message: column_violation(rule, table, dialect) for rule in rules.columns}
    for rule in rules.rows:
        names = {name: stored_name(rules, name) for name in rule.columns}
        if any(stored is None for stored in names.values()):
            continue
        values = Values({name: table.c[stored] for name, stored in names.items()})
        conditions[rule.full_message] = not_(rule.holds(values, SqlOps()))
    return conditions


def unchecked_row_rules(rules: RuleSet) -> list[str]:
    """Row rules that read a value the store does not keep (checked at ingest only)."""
    return [rule.name for rule in rules.rows if any(stored_name(rules, n) is None for n in rule.columns)]
