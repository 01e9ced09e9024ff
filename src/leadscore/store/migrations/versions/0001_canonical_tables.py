"""The canonical tables: customers, offers, events, outcomes and exposures.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

# moments are whole microseconds since 1970-01-01 UTC: exact, one type on every database
MOMENT = sa.BigInteger
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite numbers rows itself
KEY = sa.String(64)


def _rows(name: str, *columns: sa.Column) -> None:
    """A table of rows appended over time: numbered in arrival order, each under a key that
    makes a retried delivery a no-op."""
    op.create_table(
        name,
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("row_key", KEY, nullable=False, unique=True),
        sa.Column("customer_id", KEY, nullable=False),
        sa.Column("ts", MOMENT, nullable=False),
        *columns,
        sa.Column("received_at", MOMENT, nullable=False),
    )
    op.create_index(f"ix_{name}_customer_ts", name, ["customer_id", "ts"])


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", KEY, primary_key=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("converted", sa.Boolean(), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
    )
    op.create_table(
        "offers",
        sa.Column("offer_id", KEY, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("valid_days", sa.Float(), nullable=True),
        sa.Column("name_de", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
    )
    _rows(
        "events",
        sa.Column("event_type", KEY, nullable=False),
        sa.Column("channel", KEY, nullable=True),
        sa.Column("offer_id", KEY, nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("campaign", sa.Text(), nullable=True),
    )
    _rows(
        "outcomes",
        sa.Column("offer_id", KEY, nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
    )
    _rows(
        "exposures",
        sa.Column("offer_id", KEY, nullable=False),
        sa.Column("channel", KEY, nullable=True),
        sa.Column("propensity", sa.Float(), nullable=True),
    )
