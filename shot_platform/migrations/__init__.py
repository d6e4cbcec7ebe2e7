"""The store's schema history: one Alembic migration history for every table of the platform.

``core/schema_migrations.py`` runs it (``upgrade``); ``env.py`` is Alembic's entry point and
``versions/`` holds the revisions, oldest first. A schema change is a new revision (see
docs/operations.md, "Schema migrations"); nothing else creates or alters tables.
"""
