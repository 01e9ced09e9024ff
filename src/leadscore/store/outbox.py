"""The alerts outbox: alerts wait here until their webhook is delivered.

An alert is written once under its idempotency key (a second write of the same key is a
no-op). A deliverer claims one due alert at a time: the claim counts the attempt and
moves the next attempt ahead by a lease (longer than one delivery can take), in one
transaction, so two deliverers never send one alert at once and a restart after a claim
goes on with the next attempt's number. An attempt's number is its claim's token: a
failure reported by a claim that has since lost the alert (its lease ran out and another
claimed it) is ignored, while a 2xx is recorded whichever claim got it. A failed attempt
is retried later (the deliverer says when), until the deliverer gives up on the alert: it
is then a dead letter, kept with its reason until an operator sends it again (``resend``).

Every attempt is logged (``alert_deliveries``: its number, moment, HTTP status or error,
duration), and the log is kept ``DELIVERY_LOG_DAYS`` (the deliverer prunes it). An
endpoint that answered 410 Gone is disabled (``webhook_endpoints``) until ``enable_endpoint``;
its alerts wait meanwhile.
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
DELIVERY_LOG_DAYS = 30  # the delivery log keeps each attempt this long
STATES = ("waiting", "delivered", "dead")


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
    first_attempt_at: pd.Timestamp | None = None  # of the alert's first attempt (this one's)


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
                .where(
                    table.c.delivered_at.is_(None),
                    table.c.dead_at.is_(None),
                    table.c.next_attempt_at <= stamp,
                )
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
                    table.c.dead_at.is_(None),
                )
                .values(
                    attempts=row.attempts + 1,
                    next_attempt_at=stamp + micros_of(lease),
                    first_attempt_at=sa.func.coalesce(table.c.first_attempt_at, stamp),
                )
            )
            if taken.rowcount == 1:
                first = stamp if row.first_attempt_at is None else row.first_attempt_at
                return Waiting(
                    row.seq,
                    row.idempotency_key,
                    row.customer_id,
                    row.rule,
                    row.payload,
                    row.attempts + 1,
                    _moment(first),
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


def _still_held(claim: Waiting) -> list[sa.ColumnElement[bool]]:
    """What holds while ``claim`` is the alert's newest attempt: nobody claimed it since,
    and it is neither delivered nor given up on."""
    table = schema.alerts
    return [
        table.c.seq == claim.seq,
        table.c.attempts == claim.attempts,
        table.c.delivered_at.is_(None),
        table.c.dead_at.is_(None),
    ]


def failed(store: Store, claim: Waiting, *, error: str, retry_at: pd.Timestamp) -> bool:
    """Records a failed attempt and when to retry; False where the claim is stale (a later
    attempt holds the alert, or it was delivered), and nothing is written."""
    table = schema.alerts
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(*_still_held(claim))
            .values(next_attempt_at=micros(retry_at), last_error=error[:1000])
        )
    return done.rowcount == 1


def give_up(store: Store, claim: Waiting, *, error: str, reason: str, now: pd.Timestamp) -> bool:
    """Makes the alert a dead letter (its last attempt failed with ``error``, and the
    retries' limit is reached: ``reason``); False where the claim is stale."""
    table = schema.alerts
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(*_still_held(claim))
            .values(dead_at=micros(now), dead_reason=reason[:1000], last_error=error[:1000])
        )
    return done.rowcount == 1


def resend(store: Store, keys: Sequence[str] = (), *, dead: bool = False, now: pd.Timestamp) -> int:
    """Sends alerts again: those of ``keys`` (dead letters or delivered ones), or every
    dead letter (``dead``); their attempts start over, due at ``now``. How many."""
    table = schema.alerts
    if dead:
        which = table.c.dead_at.is_not(None)
    elif keys:
        which = table.c.idempotency_key.in_(list(keys))
    else:
        return 0
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(which)
            .values(
                attempts=0,
                first_attempt_at=None,
                next_attempt_at=micros(now),
                delivered_at=None,
                dead_at=None,
                dead_reason=None,
            )
        )
    return done.rowcount


@dataclass(frozen=True)
class Delivery:
    """One attempt of the delivery log: the HTTP status, or the error where none came."""

    key: str
    attempt: int
    at: pd.Timestamp
    status: int | None
    error: str | None
    duration_ms: int


def log_delivery(store: Store, delivery: Delivery) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            schema.alert_deliveries.insert().values(
                idempotency_key=delivery.key,
                attempt=delivery.attempt,
                at=micros(delivery.at),
                status=delivery.status,
                error=None if delivery.error is None else delivery.error[:1000],
                duration_ms=delivery.duration_ms,
            )
        )


def delivery_log(store: Store, key: str) -> list[Delivery]:
    """The attempts of one alert the log still holds, oldest first."""
    table = schema.alert_deliveries
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table).where(table.c.idempotency_key == key).order_by(table.c.seq)
        ).all()
    return [
        Delivery(r.idempotency_key, r.attempt, _moment(r.at), r.status, r.error, r.duration_ms)
        for r in rows
    ]


def prune_deliveries(store: Store, *, now: pd.Timestamp) -> int:
    """Drops the attempts logged more than ``DELIVERY_LOG_DAYS`` before ``now``; how many."""
    table = schema.alert_deliveries
    before = micros(now - pd.Timedelta(days=DELIVERY_LOG_DAYS))
    with store.engine.begin() as connection:
        return connection.execute(table.delete().where(table.c.at < before)).rowcount


@dataclass(frozen=True)
class Disabled:
    """An endpoint disabled: when, and why (the receiver's 410)."""

    url: str
    at: pd.Timestamp
    reason: str


def disable_endpoint(store: Store, url: str, *, reason: str, now: pd.Timestamp) -> None:
    table = schema.webhook_endpoints
    values = {"disabled_at": micros(now), "disabled_reason": reason[:1000]}
    with store.engine.begin() as connection:
        held = connection.execute(table.update().where(table.c.url == url).values(**values))
        if held.rowcount == 0:
            connection.execute(table.insert().values(url=url, **values))


def endpoint_disabled(store: Store, url: str) -> Disabled | None:
    """Whether ``url`` is disabled (it answered 410 Gone), else None."""
    table = schema.webhook_endpoints
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(table).where(table.c.url == url, table.c.disabled_at.is_not(None))
        ).first()
    return None if row is None else Disabled(row.url, _moment(row.disabled_at), row.disabled_reason)


def enable_endpoint(store: Store, url: str) -> bool:
    """Re-enables ``url``; the alerts waiting start their give-up clock over (the time
    the endpoint was gone counts against none). False where it was not disabled."""
    endpoints, alerts = schema.webhook_endpoints, schema.alerts
    with store.engine.begin() as connection:
        done = connection.execute(
            endpoints.update()
            .where(endpoints.c.url == url, endpoints.c.disabled_at.is_not(None))
            .values(disabled_at=None, disabled_reason=None)
        )
        if done.rowcount:
            connection.execute(
                alerts.update()
                .where(alerts.c.delivered_at.is_(None), alerts.c.dead_at.is_(None))
                .values(first_attempt_at=None)
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
    created_at: pd.Timestamp | None = None
    next_attempt_at: pd.Timestamp | None = None
    dead_at: pd.Timestamp | None = None
    dead_reason: str | None = None

    @property
    def state(self) -> str:
        """waiting, delivered or dead."""
        if self.delivered_at is not None:
            return "delivered"
        return "waiting" if self.dead_at is None else "dead"


def alert_states(store: Store, state: str | None = None) -> list[AlertState]:
    """Every alert in the outbox (or those of one of ``STATES``), oldest first: what was
    sent, what still waits and why, what was given up on."""
    table = schema.alerts
    query = sa.select(table).order_by(table.c.seq)
    if state == "delivered":
        query = query.where(table.c.delivered_at.is_not(None))
    elif state == "dead":
        query = query.where(table.c.delivered_at.is_(None), table.c.dead_at.is_not(None))
    elif state == "waiting":
        query = query.where(table.c.delivered_at.is_(None), table.c.dead_at.is_(None))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        AlertState(
            r.idempotency_key,
            r.rule,
            r.customer_id,
            r.attempts,
            _moment(r.delivered_at),
            r.last_error,
            _moment(r.created_at),
            _moment(r.next_attempt_at),
            _moment(r.dead_at),
            r.dead_reason,
        )
        for r in rows
    ]


def alert_payload(store: Store, key: str) -> dict | None:
    """The payload of the alert of ``key``, None where there is none."""
    table = schema.alerts
    with store.engine.connect() as connection:
        return connection.scalar(sa.select(table.c.payload).where(table.c.idempotency_key == key))


def _moment(value: int | None) -> pd.Timestamp | None:
    return None if value is None else from_micros([value]).iat[0]
