"""The alerts outbox: alerts wait here until their webhook is delivered.

An alert is written once under its idempotency key (a second write of the same key is a
no-op). A deliverer claims due alerts by moving their next attempt ahead (a lease), so two
deliverers never send one alert at once; a failed attempt is retried later, with the wait
doubling up to a ceiling, and nothing is ever dropped.
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

LEASE = pd.Timedelta(minutes=2)  # a claimed alert is the claimant's this long


@dataclass(frozen=True)
class Waiting:
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


def claim_due(store: Store, *, now: pd.Timestamp, limit: int = 100) -> list[Waiting]:
    """Undelivered alerts whose next attempt is due, claimed for ``LEASE``."""
    table = schema.alerts
    stamp = micros(now)
    claimed: list[Waiting] = []
    with store.engine.begin() as connection:
        due = connection.execute(
            sa.select(table)
            .where(table.c.delivered_at.is_(None), table.c.next_attempt_at <= stamp)
            .order_by(table.c.next_attempt_at, table.c.seq)
            .limit(limit)
        ).all()
        for row in due:
            taken = connection.execute(
                table.update()
                .where(table.c.seq == row.seq, table.c.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=stamp + micros_of(LEASE))
            )
            if taken.rowcount == 1:  # another deliverer did not take it first
                claimed.append(
                    Waiting(
                        row.seq,
                        row.idempotency_key,
                        row.customer_id,
                        row.rule,
                        row.payload,
                        row.attempts,
                    )
                )
    return claimed


def micros_of(span: pd.Timedelta) -> int:
    return int(span.value // 1000)


def delivered(store: Store, seq: int, *, now: pd.Timestamp) -> None:
    table = schema.alerts
    with store.engine.begin() as connection:
        connection.execute(
            table.update()
            .where(table.c.seq == seq)
            .values(delivered_at=micros(now), attempts=table.c.attempts + 1, last_error=None)
        )


def failed(store: Store, seq: int, *, error: str, retry_at: pd.Timestamp) -> None:
    table = schema.alerts
    with store.engine.begin() as connection:
        connection.execute(
            table.update()
            .where(table.c.seq == seq)
            .values(
                attempts=table.c.attempts + 1,
                next_attempt_at=micros(retry_at),
                last_error=error[:1000],
            )
        )


@dataclass(frozen=True)
class AlertState:
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
