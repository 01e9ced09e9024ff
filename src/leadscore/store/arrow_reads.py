"""Many rows at once through PostgreSQL's ADBC driver, as Arrow columns.

A rescore reads a million events. psycopg makes a Python tuple a row and an object a
value; ADBC's PostgreSQL driver reads them in C. SQLite stays with Python's own driver:
ADBC's SQLite driver brings a second copy of the SQLite library into the process, and two
copies on one database file clear each other's POSIX locks, which corrupts it (measured
here: a rescore reading through one and writing through the other broke its file; see
"How To Corrupt An SQLite Database File", 2.2.1). Reads of many customers go this way; a
request's few rows go through the engine's open connection, as a new ADBC connection
costs more than they.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import pyarrow as pa
import sqlalchemy as sa

ARROW_FROM = 200  # customers a read must cover to go through ADBC


def adbc_target(url: sa.URL) -> tuple[str, str] | None:
    """The ADBC driver and its address for a store's URL; None where it has none here."""
    if url.get_backend_name() == "postgresql":
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


def arrow_type(column: sa.Column) -> pa.DataType:
    python = column.type.python_type
    if python is int:
        return pa.int64()
    if python is float:
        return pa.float64()
    return pa.string()


def fetch_arrow(
    engine: sa.Engine, statements: Sequence[sa.Select], columns: Sequence[sa.Column]
) -> pa.Table | None:
    """The rows of ``statements`` (one after the other) as one table with ``columns``'
    types; None where the store's database has no ADBC driver here."""
    target = adbc_target(engine.url)
    if target is None:
        return None
    driver, address = target
    schema = pa.schema([(c.name, arrow_type(c)) for c in columns])
    module = importlib.import_module(f"adbc_driver_{driver}.dbapi")
    tables = []
    with module.connect(address) as connection, connection.cursor() as cursor:
        for statement in statements:
            compiled = statement.compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
            cursor.execute(str(compiled))
            table = cursor.fetch_arrow_table()
            # a column empty in every row comes as the driver guessed: made what it holds
            tables.append(
                pa.table(
                    [table.column(i).cast(schema.field(i).type) for i in range(len(schema))],
                    schema=schema,
                )
            )
    return pa.concat_tables(tables) if tables else schema.empty_table()
