"""Alembic's environment: always run from ``tiffin_registry._db.migrate`` with a connection."""

from __future__ import annotations

from alembic import context

from tiffin_registry._tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
