"""The free-throw domain's ``has_data`` (see :class:`shot_platform.core.domain.Domain`): events stored."""

from __future__ import annotations

from shot_platform.core.settings import Settings
from shot_platform.free_throws.resources import shared_free_throw_store


def stored_rows(settings: Settings) -> int:
    """Free-throw events in the store (``materialize`` without ``--select`` skips the domain when there are
    none)."""
    return int(shared_free_throw_store(settings.database_url).summary()["rows"])
