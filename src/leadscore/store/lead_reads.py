"""Reads for a CRM: one lead as the store holds it, and the feed of scores logged.

Since a score is logged only when it says something new (another probability or model
version), every row of the score log is a change, and the log's ``seq`` orders them as
they were written: the feed is the log read after a position, so a client that keeps the
position it was given reads each change once, in order, however often it polls.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store
from leadscore.store.values import parsed_json

FEED_COLUMNS = (
    "seq",
    "customer_id",
    "scored_at",
    "score",
    "grade",
    "probability",
    "model_name",
    "model_version",
    "origin",
)


@dataclass(frozen=True)
class LeadRecord:
    """A customer as the store holds it."""

    customer_id: str
    created_at: pd.Timestamp
    updated_at: pd.Timestamp
    converted: bool | None
    profile: dict


def lead_record(store: Store, customer_id: str) -> LeadRecord | None:
    """The customer ``customer_id``, or None where the store has none of that id."""
    table = schema.customers
    query = sa.select(
        table.c.created_at, table.c.updated_at, table.c.converted, table.c.profile
    ).where(table.c.customer_id == customer_id)
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    created, updated = from_micros([row.created_at, row.updated_at])
    profile = row.profile if isinstance(row.profile, dict) else parsed_json(row.profile)
    return LeadRecord(customer_id, created, updated, row.converted, dict(profile))


@dataclass(frozen=True)
class FeedPage:
    """Scores logged after a position, oldest first, and the position after the last."""

    entries: list[dict]
    last_seq: int
    more: bool


def scores_after(
    store: Store, *, after_seq: int, since: pd.Timestamp | None = None, limit: int = 500
) -> FeedPage:
    """Up to ``limit`` scores logged after position ``after_seq`` (scored at or after
    ``since`` where given), in the order they were written."""
    table = schema.scores
    conditions = [table.c.seq > after_seq]
    if since is not None:
        conditions.append(table.c.scored_at >= micros(since))
    query = (
        sa.select(*(table.c[c] for c in FEED_COLUMNS))
        .where(*conditions)
        .order_by(table.c.seq)
        .limit(limit + 1)  # one more: whether another page follows
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    stamps = from_micros([r.scored_at for r in rows]) if rows else []
    entries = [
        {
            "customer_id": r.customer_id,
            "scored_at": stamp,
            "score": int(r.score),
            "grade": r.grade,
            "probability": float(r.probability),
            "model": {"name": r.model_name, "version": r.model_version},
            "origin": r.origin,
        }
        for r, stamp in zip(rows, stamps, strict=True)
    ]
    return FeedPage(entries, rows[-1].seq if rows else after_seq, more)
