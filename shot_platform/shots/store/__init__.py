"""The shot store: one SQLAlchemy schema, run on SQLite by default or PostgreSQL."""

from shot_platform.shots.store.shot_store import ShotStore

__all__ = ["ShotStore"]
