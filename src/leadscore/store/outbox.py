"""The alerts outbox: alerts wait here until their webhook is delivered.

An alert is written once under its idempotency key (a second write of the same key is a
no-op). A deliverer claims one due alert at a time: the claim counts the attempt and
moves the next attempt ahead by a lease (longer than one delivery can take), in one
transaction, so two deliverers never send one alert at once and a restart after a claim
goes on with the next attempt's number. An attempt's number is its claim's token: a
failure reported by a claim that has since lost the alert (its lease ran out and another
claimed it) is ignored, while a 2xx is recorded whichever claim got it. A failed attempt
is retried later, with the wait doubling up to a ceiling, and nothing is ever dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.database import insert_skipping_held
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store

LEASE = pd.Timedelta(minutes=2)  # a claimed alert is the claimant's this long, by default


@dataclass(frozen=True)
class Waiting:
    """A claimed alert; ``attempts`` is this attempt's number (1 for the first), counted
    when it was claimed."""

    seq: int
    key: str
    customer_id: str
    rule: str
    payload: dict
    attempts: int


def enqueue(
    store: Store, alerts: Sequence[tuple[str, str, str, dict]], *, now: pd.Timestamp
) -> int:
    """Write (key, customer_id, rule, payload) alerts; those new (a key held already is
    skipped)."""
    if not alerts:
        return 0
    stamp = micros(now)
    rows = [
        {
            "idempotency_key": key,
            "customer_id": customer,
            "rule": rule,
            "payload": payload,
            "created_at": stamp,
            "attempts": 0,
            "next_attempt_at": stamp,
        }
        for key, customer, rule, payload in alerts
    ]
    table = schema.alerts
    with store.engine.begin() as connection:
        held = set(
            connection.scalars(
                sa.select(table.c.idempotency_key).where(
                    table.c.idempotency_key.in_([r["idempotency_key"] for r in rows])
                )
            )
        )
        new = [r for r in rows if r["idempotency_key"] not in held]
        if new:
            connection.execute(insert_skipping_held(store.engine, table, ["idempotency_key"]), new)
    return len(new)


def claim_next(store: Store, *, now: pd.Timestamp, lease: pd.Timedelta = LEASE) -> Waiting | None:
    """The undelivered alert due longest, claimed for ``lease`` with its attempt counted;
    None when none is due."""
    table = schema.alerts
    stamp = micros(now)
    with store.engine.begin() as connection:
        # a row another deliverer claims between the read and the update is no longer due
        # at the next read, so this loop ends
        while True:
            row = connection.execute(
                sa.select(table)
                .where(table.c.delivered_at.is_(None), table.c.next_attempt_at <= stamp)
                .order_by(table.c.next_attempt_at, table.c.seq)
                .limit(1)
            ).first()
            if row is None:
                return None
            taken = connection.execute(
                table.update()
                .where(
                    table.c.seq == row.seq,
                    table.c.attempts == row.attempts,  # nobody claimed it since the read
                    table.c.delivered_at.is_(None),
                )
                .values(attempts=row.attempts + 1, next_attempt_at=stamp + micros_of(lease))
            )
            if taken.rowcount == 1:
                return Waiting(
                    row.seq,
                    row.idempotency_key,
                    row.customer_id,
                    row.rule,
                    row.payload,
                    row.attempts + 1,
                )


def micros_of(span: pd.Timedelta) -> int:
    return int(span.value // 1000)


def delivered(store: Store, claim: Waiting, *, now: pd.Timestamp) -> bool:
    """Marks the alert delivered (a 2xx came back); False where it was already.

    Any claim's 2xx counts, a stale one's too: the receiver holds the alert, and marking it
    keeps a newer claim that fails from retrying it."""
    table = schema.alerts
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(table.c.seq == claim.seq, table.c.delivered_at.is_(None))
            .values(delivered_at=micros(now), last_error=None)
        )
    return done.rowcount == 1


def failed(store: Store, claim: Waiting, *, error: str, retry_at: pd.Timestamp) -> bool:
    """Records a failed attempt and when to retry; False where the claim is stale (a later
    attempt holds the alert, or it was delivered), and nothing is written."""
    table = schema.alerts
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(
                table.c.seq == claim.seq,
                table.c.attempts == claim.attempts,
                table.c.delivered_at.is_(None),
            )
            .values(next_attempt_at=micros(retry_at), last_error=error[:1000])
        )
    return done.rowcount == 1


@dataclass(frozen=True)
class AlertState:
    """An alert as the outbox holds it; ``attempts`` counts the attempts begun (claimed)."""

    key: str
    rule: str
    customer_id: str
    attempts: int
    delivered_at: pd.Timestamp | None
    last_error: str | None


def alert_states(store: Store) -> list[AlertState]:
    """Every alert in the outbox, oldest first: what was sent, what still waits and why."""
    table = schema.alerts
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(table.c.seq)).all()
    return [
        AlertState(
            r.idempotency_key,
            r.rule,
            r.customer_id,
            r.attempts,
            None if r.delivered_at is None else from_micros([r.delivered_at]).iat[0],
            r.last_error,
        )
        for r in rows
    ]
