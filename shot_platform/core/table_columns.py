"""Column lists for the domains' table definitions (SQLAlchemy Core)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column


def required(type_: Any, *names: str) -> list[Column]:
    """NOT NULL columns of one type, in the order given."""
    return [Column(name, type_, nullable=False) for name in names]


def key(*columns: tuple[str, Any]) -> list[Column]:
    """The primary-key columns ``(name, type)``, in the order given."""
    return [Column(name, type_, primary_key=True) for name, type_ in columns]
