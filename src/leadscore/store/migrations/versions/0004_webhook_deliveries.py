"""Webhooks by the Standard Webhooks specification: dead letters in the alerts outbox
(given up on after the retries' limit), the clock of that limit, the log of every delivery
attempt, and the endpoints that answered 410 Gone (disabled until an operator re-enables).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

MOMENT = sa.BigInteger
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(64)


def upgrade() -> None:
    op.add_column("alerts", sa.Column("first_attempt_at", MOMENT, nullable=True))
    op.add_column("alerts", sa.Column("dead_at", MOMENT, nullable=True))
    op.add_column("alerts", sa.Column("dead_reason", sa.Text(), nullable=True))
    op.create_table(
        "alert_deliveries",
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", KEY, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_alert_deliveries_key", "alert_deliveries", ["idempotency_key", "seq"])
    op.create_index("ix_alert_deliveries_at", "alert_deliveries", ["at"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("url", sa.Text(), primary_key=True),
        sa.Column("disabled_at", MOMENT, nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_alert_deliveries_at", "alert_deliveries")
    op.drop_index("ix_alert_deliveries_key", "alert_deliveries")
    op.drop_table("alert_deliveries")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("dead_reason")
        batch.drop_column("dead_at")
        batch.drop_column("first_attempt_at")
