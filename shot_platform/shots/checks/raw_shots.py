"""Checks on raw_shots: the stored table has the expected columns and sane values.

Ingest already quarantines bad rows; these checks catch anything that reached
the table another way (a manual load, a changed rule), and block training on it.
"""

from dagster import AssetCheckResult, asset_check
from sqlalchemy import func, inspect, or_, select

from shot_platform.core.resources import ShotStoreResource
from shot_platform.shots.store import tables

_c = tables.shots.c
RANGE_RULES = {
    "shot_dist within 0..94 ft": or_(_c.shot_dist < 0, _c.shot_dist > 94),
    "close_def_dist within 0..94 ft": or_(_c.close_def_dist < 0, _c.close_def_dist > 94),
    "shot_clock empty or within 0..24 s": or_(_c.shot_clock < 0, _c.shot_clock > 24),
    "period within 1..10": or_(_c.period < 1, _c.period > 10),
    "game_clock_s within 0..720": or_(_c.game_clock_s < 0, _c.game_clock_s > 720),
    "touch_time not negative": _c.touch_time < 0,
    "dribbles not negative": _c.dribbles < 0,
    "fgm is 0 or 1": _c.fgm.not_in([0, 1]),
    "pts_type is 2 or 3": _c.pts_type.not_in([2, 3]),
    "pts equals fgm x pts_type": _c.pts != _c.fgm * _c.pts_type,
    "location is H or A": _c.location.not_in(["H", "A"]),
}


@asset_check(asset="raw_shots", blocking=True, description="columns present and values in range")
def raw_shots_schema_and_ranges(shot_store: ShotStoreResource) -> AssetCheckResult:
    store = shot_store.get()
    present = {column["name"] for column in inspect(store.engine).get_columns("shots")}
    missing = sorted(column.name for column in tables.shots.columns if column.name not in present)
    violations = {}
    if not missing:
        with store.engine.connect() as conn:
            for rule, condition in RANGE_RULES.items():
                violations[rule] = int(conn.execute(select(func.count()).where(condition)).scalar_one())
    failed = {rule: count for rule, count in violations.items() if count}
    return AssetCheckResult(
        passed=not missing and not failed,
        metadata={
            "missing_columns": ", ".join(missing) or "none",
            "rules_checked": len(violations),
            "violations": str(failed or "none"),
        },
    )
