"""The score log (every score served or rescored) and the alerts outbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

MOMENT = sa.BigInteger
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "scores",
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("customer_id", KEY, nullable=False),
        sa.Column("scored_at", MOMENT, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),  # request or rescore
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("model_version", KEY, nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(8), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("base_value", sa.Float(), nullable=False),
        # every feature's exact impact and value, by name: what a later change is told from
        sa.Column("impacts", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scores_customer_time", "scores", ["customer_id", "scored_at"])
    op.create_table(
        "alerts",
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", KEY, nullable=False, unique=True),
        sa.Column("customer_id", KEY, nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("delivered_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_alerts_due", "alerts", ["delivered_at", "next_attempt_at"])
