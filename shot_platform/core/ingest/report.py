"""What one ingest did, in every domain: printed by the CLI, attached to asset metadata, returned by the API."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestReport:
    """Every row read ends in one bucket: inserted, duplicate or quarantined."""

    source: str
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    conflicts: int = 0  # of the quarantined: same key as a stored row (or an earlier row), other values
    cleaned: dict[str, int] = field(default_factory=dict)  # cleaning rule -> rows it changed (domains that clean)
    rejected: list[dict] = field(default_factory=list)  # {"line", "reason"} of this source's quarantined rows

    def summary(self) -> str:
        text = (
            f"{self.source}: {self.rows_read} rows read, {self.inserted} inserted, "
            f"{self.duplicates} duplicate, {self.quarantined} quarantined "
            f"({self.conflicts} conflicting keys, {self.quarantined_new} new in quarantine)"
        )
        if self.cleaned:
            text += "; cleaning rules applied: " + ", ".join(f"{r}={n}" for r, n in sorted(self.cleaned.items()))
        return text

    def line(self) -> str:
        """The one-line result the CLI prints on stdout."""
        conflicts = f" ({self.conflicts} conflicting with stored rows)" if self.conflicts else ""
        return f"inserted {self.inserted}, duplicate {self.duplicates}, quarantined {self.quarantined}{conflicts}"


__all__ = ["IngestReport"]
