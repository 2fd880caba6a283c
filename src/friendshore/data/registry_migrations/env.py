"""Alembic environment: migrate the connection handed over by ``Registry.migrate``."""

from __future__ import annotations

from alembic import context

from friendshore.data.registry import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
