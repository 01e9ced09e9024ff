"""Booth notes of trade-fair badge scans, beside their events (see store.fair_scans).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

MOMENT = sa.BigInteger
KEY = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "scan_notes",
        sa.Column("row_key", KEY, primary_key=True),
        sa.Column("customer_id", KEY, nullable=False),
        sa.Column("fair", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("interest", sa.Text(), nullable=True),
        sa.Column("wants_call", sa.Boolean(), nullable=False),
        sa.Column("imported_at", MOMENT, nullable=False),
    )
