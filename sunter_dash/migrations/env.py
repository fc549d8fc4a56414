"""Alembic environment: runs on the connection handed over by ``db.upgrade``."""
from alembic import context

from sunter_dash.db import get_engine
from sunter_dash.migrations import derived
from sunter_dash.models import Base
from sunter_dash.models.base import declared_for

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_object=declared_for(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = get_engine(config.get_main_option("sqlalchemy.url"))  # the app's connection settings
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True,
                          include_object=declared_for(conn.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        # Run by alembic itself rather than by db.upgrade: what the migrations asked for is
        # computed here, once at head (the schema today's code writes).
        asked = config.attributes.get(derived.ATTRIBUTE, set())
        if asked and context.get_context().get_current_revision() == context.get_head_revision():
            derived.recompute(conn, asked)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
