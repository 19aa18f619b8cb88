"""Alembic environment: the connection is handed in by `hegui.platform.migrate` (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from hegui.platform.db import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: build one from the URL in the config
    from hegui.platform.db import make_engine

    with make_engine(context.config.get_main_option("sqlalchemy.url")).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
