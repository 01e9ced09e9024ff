"""Statements sent straight to the database driver, in chunks of rows: binding and
fetching through SQLAlchemy's rows cost more than the database's own work."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

CHUNK = 5_000  # rows per statement: within SQLite's limit of bound values per statement


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> int:
    """Insert rows, skipping those whose key the store holds; how many went in. The
    statement goes to the driver's executemany as it is (binding a thousand rows through
    SQLAlchemy took longer than inserting them), and the driver counts the rows it added
    (sqlite3 and psycopg sum an executemany's counts)."""
    columns = [c.name for c in table.columns if c.name != "seq"]
    dialect = connection.dialect
    if dialect.name not in ("sqlite", "postgresql"):  # any other database, the plain way
        held = set(
            connection.scalars(
                sa.select(table.c.row_key).where(table.c.row_key.in_([r["row_key"] for r in rows]))
            )
        )
        new = [r for r in rows if r["row_key"] not in held]
        if new:
            connection.execute(table.insert(), new)
        return len(new)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))}) ON CONFLICT (row_key) DO NOTHING"
    )
    result = connection.exec_driver_sql(statement, [tuple(r[c] for c in columns) for r in rows])
    return int(result.rowcount)


def fetched(connection: sa.Connection, statement: sa.Select) -> list[tuple]:
    """The rows as the driver gives them (for columns of plain types: SQLAlchemy's rows
    cost more than the database's answer)."""
    return connection.execute(statement).cursor.fetchall()  # type: ignore[union-attr]
