"""The darts domain's Dagster definitions: one asset, in its own group."""

from __future__ import annotations

import dagster as dg


@dg.asset(group_name="darts")
def dart_throws() -> int:
    """Darts thrown (a constant: the test only needs the asset to exist and materialise)."""
    return 3


defs = dg.Definitions(assets=[dart_throws])
