"""Alembic's entry point: run the revisions on the connection that ``core/schema_migrations`` hands over.

The target metadata (every domain's tables) is what ``alembic revision --autogenerate`` compares the
database with; the revisions themselves never read it, so an old revision keeps meaning what it meant.
"""

from alembic import context

from shot_platform.core.ingest.quarantine import metadata as quarantine_metadata
from shot_platform.free_throws.flow import ledger  # noqa: F401  (its tables join the free-throw metadata)
from shot_platform.free_throws.store.tables import metadata as free_throw_metadata
from shot_platform.shots.store.tables import metadata as shot_metadata

target_metadata = [quarantine_metadata, shot_metadata, free_throw_metadata]

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations with `shot-platform db upgrade` (it opens the store's connection)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
