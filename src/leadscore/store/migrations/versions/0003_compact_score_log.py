"""The score log, compact: each score's impacts as float64 bytes and its feature values as
a JSON list, both in the order of a layout (the model's feature names) kept once in
``score_layouts``, instead of two JSON objects a score that repeated every name (about
3.7 KB a score, most of a rescore's writing).

Revision ID: 0003
Revises: 0002
"""

import hashlib
import json

import numpy as np
import pydantic_core
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

KEY = sa.String(64)
CHUNK = 5_000


def _layout_id(names: list[str]) -> str:
    # as leadscore.store.score_log.layout_id: the same names always get the same id
    text = json.dumps(names, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def upgrade() -> None:
    op.create_table(
        "score_layouts",
        sa.Column("layout_id", KEY, primary_key=True),
        sa.Column("names", sa.JSON(), nullable=False),
    )
    op.add_column("scores", sa.Column("layout_id", KEY, nullable=True))
    op.add_column("scores", sa.Column("impact_values", sa.LargeBinary(), nullable=True))
    op.add_column("scores", sa.Column("feature_values", sa.JSON(), nullable=True))
    _convert_logged_scores()
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("impacts")
        batch.drop_column("features")
        batch.alter_column("layout_id", existing_type=KEY, nullable=False)
        batch.alter_column("impact_values", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("feature_values", existing_type=sa.JSON(), nullable=False)


def _convert_logged_scores() -> None:
    """Every logged score's two JSON objects into its layout and the two compact values
    (plain statements and pydantic-core's JSON: SQLAlchemy's JSON type and the json
    module took several times longer on a store of half a million scores)."""
    connection = op.get_bind()
    read = sa.text(
        f"SELECT seq, impacts, features FROM scores WHERE seq > :last ORDER BY seq LIMIT {CHUNK}"
    )
    update = sa.text(
        "UPDATE scores SET layout_id = :layout, impact_values = :impacts, "
        "feature_values = :values WHERE seq = :at"
    )
    add_layout = sa.text("INSERT INTO score_layouts (layout_id, names) VALUES (:key, :names)")
    added: set[str] = set()  # the table is new: what this loop added is all it holds
    last = -1
    while rows := connection.execute(read, {"last": last}).fetchall():
        changed = []
        for seq, impacts_json, features_json in rows:
            impacts, features = _parsed(impacts_json), _parsed(features_json)
            names = list(impacts)  # both were written from the model's feature names
            layout = _layout_id(names)
            if layout not in added:
                connection.execute(add_layout, {"key": layout, "names": _json(names)})
                added.add(layout)
            changed.append(
                {
                    "at": seq,
                    "layout": layout,
                    "impacts": np.asarray([impacts[n] for n in names], dtype="<f8").tobytes(),
                    "values": _json([features.get(n) for n in names]),
                }
            )
        connection.execute(update, changed)
        last = rows[-1][0]


def _parsed(value: str | dict) -> dict:
    # SQLite hands JSON over as text, psycopg as what it holds
    return value if isinstance(value, dict) else pydantic_core.from_json(value)


def _json(value: list) -> str:
    return pydantic_core.to_json(value, inf_nan_mode="null").decode()
