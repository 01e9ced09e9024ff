"""Which database, opening it, and bringing its schema to the newest migration."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pydantic_core
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from leadscore.common.errors import InputError

DATABASE_URL_VARIABLE = "LEADSCORE_DATABASE_URL"
DEFAULT_DATABASE = "leadscore.db"  # in the working directory, beside MLflow's mlflow.db
MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "head"


def database_url(environ: Mapping[str, str] | None = None, directory: Path | None = None) -> str:
    """``LEADSCORE_DATABASE_URL`` where set, else the SQLite file in ``directory`` (the
    working directory by default). A PostgreSQL URL without a driver gets psycopg 3."""
    environ = os.environ if environ is None else environ
    given = environ.get(DATABASE_URL_VARIABLE, "").strip()
    if not given:
        path = (directory or Path.cwd()) / DEFAULT_DATABASE
        return f"sqlite:///{path.resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if given.startswith(plain):
            return "postgresql+psycopg://" + given.removeprefix(plain)
    return given


def shown_url(url: str) -> str:
    """The URL as messages may show it: without its password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unreadable URL>"


PG_CONNECT_SECONDS = 5
SQLITE_CACHE_KIB = 32_768  # pages a connection keeps (SQLite's default: 2 MiB)
SQLITE_CHECKPOINT_PAGES = 10_000  # the WAL is copied into the file at 40 MB (default 4 MB)


def _sqlite_pragmas(connection, _record) -> None:  # a DB-API connection
    # WAL: readers (the service) never wait for a writer (intake, rescore) and vice versa.
    # Intake inserts each event's key into an index in random order: with the default
    # cache and checkpoints, the same index pages were read back and copied into the file
    # again batch after batch (20,000 events/s instead of 24,000)
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
    cursor.close()


def json_text(value: object) -> str:
    """JSON as the store writes it (NaN and infinities as null)."""
    return pydantic_core.to_json(value, inf_nan_mode="null").decode()


def insert_skipping_held(engine: sa.Engine, table: sa.Table, keys: Sequence[str]) -> sa.Insert:
    """An insert into ``table`` that skips a row whose ``keys`` the table holds already
    (one written between a check and the insert, by another process, included)."""
    name = engine.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - the two databases leadscore runs on
        return table.insert()
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url``: SQLite in WAL mode, others as they come."""
    try:
        server = sa.make_url(url).get_backend_name() == "postgresql"
        engine = sa.create_engine(
            url,
            pool_pre_ping=not url.startswith("sqlite"),
            # a server that does not answer (down, or its host gone) fails a request in
            # seconds, which the service answers 503, rather than holding it for minutes
            connect_args={"connect_timeout": PG_CONNECT_SECONDS} if server else {},
            # the score log writes two JSON objects a score: pydantic-core's writer is
            # several times faster than the json module's
            json_serializer=json_text,
        )
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise InputError(
            f"{DATABASE_URL_VARIABLE}: cannot use {shown_url(url)} ({exc}); give a URL such "
            "as sqlite:///leadscore.db or postgresql://user:password@host/db"
        ) from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def upgrade(engine: sa.Engine, revision: str = HEAD) -> None:
    """Bring the schema to ``revision`` (the newest by default); a no-op where it is."""
    try:
        if revision == HEAD and current_revision(engine) == head_revision():
            return
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as exc:
        raise InputError(
            f"cannot open the store at {shown_url(str(engine.url))}: {exc.orig}; check "
            f"{DATABASE_URL_VARIABLE} (the server, the user's rights, the file's folder)"
        ) from None
