from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadscore.common.errors import InputError
from leadscore.store import schema
from leadscore.store.database import (
    current_revision,
    database_url,
    engine_for,
    head_revision,
    shown_url,
    upgrade,
)
from leadscore.store.score_log import layout_id, score_history
from leadscore.store.store import Store


def test_the_default_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    assert database_url({}, tmp_path) == f"sqlite:///{(tmp_path / 'leadscore.db').resolve()}"
    given = {"LEADSCORE_DATABASE_URL": "postgresql://u:secret@db/leads"}
    assert database_url(given) == "postgresql+psycopg://u:secret@db/leads"
    assert "secret" not in shown_url(database_url(given))


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -32_768
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000


def test_the_newest_migration_builds_the_tables_queries_use(database: str) -> None:
    store = Store.open(database)
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, schema.metadata) == []


def test_an_upgrade_from_the_first_schema_keeps_its_rows(database: str) -> None:
    engine = engine_for(database)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as connection:
        assert "scores" not in sa.inspect(connection).get_table_names()
        connection.execute(
            sa.text(
                "INSERT INTO customers (customer_id, created_at, converted, profile, "
                "updated_at) VALUES ('C-1', 1, NULL, '{\"industry\": \"retail\"}', 1)"
            )
        )
    store = Store.open(database)  # opening brings it to the newest schema
    assert current_revision(store.engine) == head_revision() != "0001"
    customers = store.customers()
    assert customers["customer_id"].tolist() == ["C-1"]
    assert customers["industry"].tolist() == ["retail"]
    assert store.count("scores") == 0


def test_an_upgrade_keeps_the_scores_logged_before_the_log_was_compact(database: str) -> None:
    engine = engine_for(database)
    upgrade(engine, "0002")
    impacts = {"visits_7d": 0.1 + 0.2, "industry": -1 / 3}
    features = {"visits_7d": 3.0, "industry": "retail"}
    old = sa.table(
        "scores",
        *(sa.column(c) for c in ("customer_id", "scored_at", "origin", "model_name")),
        *(sa.column(c) for c in ("model_version", "probability", "score", "grade", "margin")),
        sa.column("base_value"),
        sa.column("impacts", sa.JSON()),
        sa.column("features", sa.JSON()),
    )
    logged = {"origin": "rescore", "model_name": "m", "model_version": "1", "probability": 0.4}
    logged |= {"score": 40, "grade": "B", "margin": -0.5, "base_value": -2.0}
    with engine.begin() as connection:
        connection.execute(
            old.insert(),
            [
                {"customer_id": c, "scored_at": t, **logged, "impacts": impacts, "features": f}
                for c, t, f in [
                    ("C-1", 1_000_000, features),
                    ("C-1", 2_000_000, {**features, "visits_7d": None}),
                    ("C-2", 1_000_000, features),
                ]
            ],
        )
    store = Store.open(database)
    assert current_revision(store.engine) == head_revision()
    newest, first = score_history(store, "C-1")
    assert first.impacts == impacts and first.features == features
    assert newest.features == {"visits_7d": None, "industry": "retail"}
    assert (newest.score, newest.grade, newest.base_value) == (40, "B", -2.0)
    assert score_history(store, "C-2")[0].impacts == impacts
    with store.engine.connect() as connection:
        [(key, names)] = connection.execute(sa.select(schema.score_layouts)).all()
    assert names == ["visits_7d", "industry"] and key == layout_id(names)  # as written now


def test_an_unusable_url_names_the_variable_to_fix() -> None:
    with pytest.raises(InputError, match="LEADSCORE_DATABASE_URL"):
        engine_for("nosuchdialect://x")
    with pytest.raises(InputError, match="cannot open the store"):
        Store.open("sqlite:////no/such/folder/leadscore.db")
