"""Alembic's environment: migrations run on the connection ``leadscore.store.database``
hands over (there is no alembic.ini; see ``upgrade``)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
