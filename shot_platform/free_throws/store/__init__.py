"""The free-throw tables and their reads and writes (SQLite by default, PostgreSQL by URL)."""

from shot_platform.free_throws.store.free_throw_store import FreeThrowStore

__all__ = ["FreeThrowStore"]
