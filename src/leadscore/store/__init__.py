"""The store: the canonical tables, the score log and the alerts outbox in a database.

SQLAlchemy Core on a SQLite file by default (``leadscore.db`` in the working directory,
WAL mode), PostgreSQL where ``LEADSCORE_DATABASE_URL`` points at one; the schema is
versioned by the Alembic migrations in ``migrations/``.
"""
