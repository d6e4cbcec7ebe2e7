"""The shot domain's ``has_data`` (see :class:`shot_platform.core.domain.Domain`): shots stored."""

from __future__ import annotations

from shot_platform.core.settings import Settings
from shot_platform.shots.resources import shared_shot_store


def stored_rows(settings: Settings) -> int:
    """Shots in the store (``materialize`` without ``--select`` skips the domain when there are none)."""
    return int(shared_shot_store(settings.database_url).shot_summary()["rows"])
