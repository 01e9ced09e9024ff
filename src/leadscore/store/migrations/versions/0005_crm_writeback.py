"""CRM write-back: a cursor over the score log per destination, and the records a
batch left behind (refused one by one by the CRM), to retry or marked dead.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

MOMENT = sa.BigInteger
KEY = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "writeback_cursors",
        sa.Column("destination", KEY, primary_key=True),
        sa.Column("through_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", MOMENT, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", MOMENT, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "writeback_retries",
        sa.Column("destination", KEY, primary_key=True),
        sa.Column("customer_id", KEY, primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dead_at", MOMENT, nullable=True),
    )
    op.create_index(
        "ix_writeback_retries_due",
        "writeback_retries",
        ["destination", "dead_at", "next_attempt_at"],
    )
