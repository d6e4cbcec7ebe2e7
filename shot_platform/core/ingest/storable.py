"""The one rule for text kept in the quarantine: what both databases can store, bounded in size."""

from __future__ import annotations

import re

# Raw text kept for a quarantined record: enough to read what came, bounded so one answer cannot fill the store.
MAX_STORED_CHARS = 65_536
MAX_REASON_CHARS = 4_096
_REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str, limit: int = MAX_STORED_CHARS) -> tuple[str, str]:
    """``text`` as both databases can store it, and what was altered ("" when nothing).

    One rule for SQLite and PostgreSQL: NUL (PostgreSQL text cannot hold it) and lone surrogates
    (not UTF-8) become U+FFFD, and the text is cut to ``limit`` characters.
    """
    cleaned = _UNSTORABLE.sub(_REPLACEMENT, text)
    replaced = len(_UNSTORABLE.findall(text))
    changes = []
    if replaced:
        changes.append(f"{replaced} NUL or non-UTF-8 characters replaced by U+FFFD")
    if len(cleaned) > limit:
        changes.append(f"cut from {len(cleaned):,} to {limit:,} characters")
        cleaned = cleaned[:limit]
    return cleaned, "; ".join(changes)


def storable_record(reason: str, raw: str) -> tuple[str, str]:
    """(reason, raw) of one quarantined record as stored: the reason says when the raw text was altered."""
    stored_reason, _ = storable_text(reason, MAX_REASON_CHARS)
    stored_raw, altered = storable_text(raw)
    if altered:
        stored_reason += f" (payload stored altered: {altered})"
    return stored_reason, stored_raw


__all__ = ["MAX_REASON_CHARS", "MAX_STORED_CHARS", "storable_record", "storable_text"]
