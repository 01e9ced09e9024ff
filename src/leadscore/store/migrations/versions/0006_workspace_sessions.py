"""Workspace sessions kept server-side (by the hash of their id, ended at sign-out) and
failed sign-ins per user name and client address.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

MOMENT = sa.BigInteger
KEY = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "workspace_sessions",
        sa.Column("id_hash", KEY, primary_key=True),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("last_seen", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("ended_at", MOMENT, nullable=True),
    )
    op.create_index("ix_workspace_sessions_expires", "workspace_sessions", ["expires_at"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", KEY, primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", MOMENT, nullable=False),
        sa.Column("locked_until", MOMENT, nullable=False),
    )
