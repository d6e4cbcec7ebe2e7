"""Checks on raw_free_throws: the stored table has its columns and every value obeys the rules.

Ingest already quarantines bad rows; this catches anything that reached the table another way
(a manual load, a changed rule) and blocks the features and the model on it. The conditions are
derived from ``free_throws/rules.py``, the declaration ingest validates with (row rules on values
the table does not keep, such as the play text's verb, are checked at ingest only).
"""

from dagster import AssetCheckResult, asset_check
from sqlalchemy import func, inspect, select

from shot_platform.core.sql_checks import unchecked_row_rules, violation_conditions
from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.free_throws.rules import FREE_THROW_RULES
from shot_platform.free_throws.store import tables


@asset_check(asset="raw_free_throws", blocking=True, description="columns present and values obey the rules")
def raw_free_throws_rules(free_throw_store: FreeThrowStoreResource) -> AssetCheckResult:
    store = free_throw_store.get()
    present = {column["name"] for column in inspect(store.engine).get_columns("free_throws")}
    missing = sorted(column.name for column in tables.free_throws.columns if column.name not in present)
    violations = {}
    if not missing:
        with store.engine.connect() as conn:
            conditions = violation_conditions(FREE_THROW_RULES, tables.free_throws, store.engine.dialect.name)
            for rule, condition in conditions.items():
                query = select(func.count()).select_from(tables.free_throws).where(condition)
                violations[rule] = int(conn.execute(query).scalar_one())
    failed = {rule: count for rule, count in violations.items() if count}
    return AssetCheckResult(
        passed=not missing and not failed,
        metadata={
            "missing_columns": ", ".join(missing) or "none",
            "rules_checked": len(violations),
            "violations": str(failed or "none"),
            "checked_at_ingest_only": ", ".join(unchecked_row_rules(FREE_THROW_RULES)),
        },
    )
