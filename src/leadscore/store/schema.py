"""The tables as queries see them, at the newest migration (a test compares the two)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
MOMENT = sa.BigInteger  # whole microseconds since 1970-01-01 UTC
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = sa.String(64)


def _rows(name: str, *columns: sa.Column) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("row_key", KEY, nullable=False, unique=True),
        sa.Column("customer_id", KEY, nullable=False),
        sa.Column("ts", MOMENT, nullable=False),
        *columns,
        sa.Column("received_at", MOMENT, nullable=False),
        sa.Index(f"ix_{name}_customer_ts", "customer_id", "ts"),
    )


customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", KEY, primary_key=True),
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("converted", sa.Boolean(), nullable=True),
    sa.Column("profile", sa.JSON(), nullable=False),
    sa.Column("updated_at", MOMENT, nullable=False),
)
offers = sa.Table(
    "offers",
    metadata,
    sa.Column("offer_id", KEY, primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("cost", sa.Float(), nullable=True),
    sa.Column("valid_days", sa.Float(), nullable=True),
    sa.Column("name_de", sa.Text(), nullable=True),
    sa.Column("name_en", sa.Text(), nullable=True),
    sa.Column("reward", sa.Float(), nullable=True),  # migration 0008
)
events = _rows(
    "events",
    sa.Column("event_type", KEY, nullable=False),
    sa.Column("channel", KEY, nullable=True),
    sa.Column("offer_id", KEY, nullable=True),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("campaign", sa.Text(), nullable=True),
)
outcomes = _rows(
    "outcomes",
    sa.Column("offer_id", KEY, nullable=True),
    sa.Column("value", sa.Float(), nullable=True),
)
exposures = _rows(
    "exposures",
    sa.Column("offer_id", KEY, nullable=False),
    sa.Column("channel", KEY, nullable=True),
    sa.Column("propensity", sa.Float(), nullable=True),
)
scores = sa.Table(
    "scores",
    metadata,
    sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("customer_id", KEY, nullable=False),
    sa.Column("scored_at", MOMENT, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("model_name", sa.Text(), nullable=False),
    sa.Column("model_version", KEY, nullable=False),
    sa.Column("probability", sa.Float(), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("grade", sa.String(8), nullable=False),
    sa.Column("margin", sa.Float(), nullable=False),
    sa.Column("base_value", sa.Float(), nullable=False),
    # the names of the two below, in their order: a row of score_layouts
    sa.Column("layout_id", KEY, nullable=False),
    sa.Column("impact_values", sa.LargeBinary(), nullable=False),  # float64, little-endian
    sa.Column("feature_values", sa.JSON(), nullable=False),  # a list
    sa.Index("ix_scores_customer_time", "customer_id", "scored_at"),
)
score_layouts = sa.Table(
    "score_layouts",
    metadata,
    sa.Column("layout_id", KEY, primary_key=True),
    sa.Column("names", sa.JSON(), nullable=False),
)
alerts = sa.Table(
    "alerts",
    metadata,
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
    sa.Column("first_attempt_at", MOMENT, nullable=True),  # the give-up clock starts here
    sa.Column("dead_at", MOMENT, nullable=True),  # a dead letter: given up on
    sa.Column("dead_reason", sa.Text(), nullable=True),
    sa.Index("ix_alerts_due", "delivered_at", "next_attempt_at"),
)
# CRM write-back: per destination, the score log's seq it has handled through, and a
# claim on it (``claims`` counts them: a claim's number is its token)
writeback_cursors = sa.Table(
    "writeback_cursors",
    metadata,
    sa.Column("destination", KEY, primary_key=True),
    sa.Column("through_seq", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("locked_until", MOMENT, nullable=True),
    sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", MOMENT, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("sent", sa.BigInteger(), nullable=False, server_default="0"),
)
# the records a batch left behind (a vendor refused them one by one): retried, or dead
writeback_retries = sa.Table(
    "writeback_retries",
    metadata,
    sa.Column("destination", KEY, primary_key=True),
    sa.Column("customer_id", KEY, primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", MOMENT, nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("dead_at", MOMENT, nullable=True),
    sa.Index("ix_writeback_retries_due", "destination", "dead_at", "next_attempt_at"),
)
# every attempt to deliver an alert (kept DELIVERY_LOG_DAYS, see store.outbox)
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", KEY, nullable=False),
    sa.Column("attempt", sa.Integer(), nullable=False),
    sa.Column("at", MOMENT, nullable=False),
    sa.Column("status", sa.Integer(), nullable=True),  # the HTTP status; null: no answer
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("duration_ms", sa.Integer(), nullable=False),
    sa.Index("ix_alert_deliveries_key", "idempotency_key", "seq"),
    sa.Index("ix_alert_deliveries_at", "at"),
)
# a webhook endpoint that answered 410 Gone: nothing is sent to it until re-enabled
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("url", sa.Text(), primary_key=True),
    sa.Column("disabled_at", MOMENT, nullable=True),
    sa.Column("disabled_reason", sa.Text(), nullable=True),
)
# the tables of appended rows, by canonical table name
APPENDED = {"events": events, "outcomes": outcomes, "exposures": exposures}
# the workspace's sign-ins: a session by the SHA-256 of its id (the id is in the cookie
# alone), ended at sign-out; ``session_version`` is the user's at sign-in (see
# workspace.users: a new password makes it older)
workspace_sessions = sa.Table(
    "workspace_sessions",
    metadata,
    sa.Column("id_hash", KEY, primary_key=True),
    sa.Column("user_name", sa.Text(), nullable=False),
    sa.Column("session_version", sa.Integer(), nullable=False),
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("last_seen", MOMENT, nullable=False),
    sa.Column("expires_at", MOMENT, nullable=False),
    sa.Column("ended_at", MOMENT, nullable=True),
    sa.Index("ix_workspace_sessions_expires", "expires_at"),
)
# failed sign-ins per user name and per client address (``key``: a SHA-256 of either)
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("key", KEY, primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failed_at", MOMENT, nullable=False),
    sa.Column("locked_until", MOMENT, nullable=False),
)
# the booth note of a trade-fair scan, by its event's row_key: what the visitor asked for,
# their interest and whether they want a call. Text for the rep, never a model feature,
# so it is kept beside the events rather than in a canonical column every reader carries
scan_notes = sa.Table(
    "scan_notes",
    metadata,
    sa.Column("row_key", KEY, primary_key=True),
    sa.Column("customer_id", KEY, nullable=False),
    sa.Column("fair", sa.Text(), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("interest", sa.Text(), nullable=True),
    sa.Column("wants_call", sa.Boolean(), nullable=False),
    sa.Column("imported_at", MOMENT, nullable=False),
)
