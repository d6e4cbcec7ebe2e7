"""Checks on raw_shots: the stored table has the expected columns and every value obeys its rule.

Ingest already quarantines bad rows; this check catches anything that reached
the table another way (a manual load, a changed rule), and blocks training on
it. Its SQL conditions are derived from the rule declaration in
``shot_platform.shots.rules``, the same one ingest and ``/predict`` use.
"""

from dagster import AssetCheckResult, MetadataValue, asset_check
from sqlalchemy import func, inspect, select

from shot_platform.core.sql_checks import unchecked_row_rules, violation_conditions
from shot_platform.shots.resources import ShotStoreResource
from shot_platform.shots.rules import SHOT_RULES
from shot_platform.shots.store import tables


@asset_check(asset="raw_shots", blocking=True, description="columns present and every value obeys its rule")
def raw_shots_schema_and_ranges(shot_store: ShotStoreResource) -> AssetCheckResult:
    store = shot_store.get()
    present = {column["name"] for column in inspect(store.engine).get_columns("shots")}
    missing = sorted(column.name for column in tables.shots.columns if column.name not in present)
    violations: dict[str, int] = {}
    if not missing:
        conditions = violation_conditions(SHOT_RULES, tables.shots, store.engine.dialect.name)
        with store.engine.connect() as conn:
            for rule, condition in conditions.items():
                violations[rule] = int(conn.execute(select(func.count()).where(condition)).scalar_one())
    failed = {rule: count for rule, count in violations.items() if count}
    if missing:
        description = f"columns missing from the shots table: {', '.join(missing)}"
    elif failed:
        description = "; ".join(f"{count:,} rows: {rule}" for rule, count in failed.items())
    else:
        description = f"all {len(violations)} rules hold"
    return AssetCheckResult(
        passed=not missing and not failed,
        description=description,
        metadata={
            "missing_columns": ", ".join(missing) or "none",
            "rules_checked": len(violations),
            "rules_failed": len(failed),
            "violations": MetadataValue.json(failed) if failed else "none",
            "checked_at_ingest_only": ", ".join(unchecked_row_rules(SHOT_RULES)) or "none",
        },
    )
