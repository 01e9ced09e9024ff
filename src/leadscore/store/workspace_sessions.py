"""The workspace's sessions and failed sign-ins, kept in the store so that every worker
of the service agrees on them.

A session is found by the SHA-256 of its id: the id (256 random bits) is in the user's
cookie alone, so a copy of the table opens no session. A session ends at sign-out
(``ended_at``), when it expires, or after ``idle`` without a request. Failed sign-ins
are counted per key (the workspace's keys name a user name or a client address, hashed
here as well) with the moment until which the key is locked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.database import insert_skipping_held
from leadscore.store.moments import micros
from leadscore.store.store import Store

SESSIONS = schema.workspace_sessions
FAILURES = schema.sign_in_failures
# last_seen is written at most this often: a page a request would be a write a request
TOUCH_EVERY = pd.Timedelta(seconds=60)


@dataclass(frozen=True)
class HeldSession:
    user: str
    session_version: int
    last_seen: int  # microseconds


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def open_session(
    store: Store, user: str, session_version: int, *, now: pd.Timestamp, lasts: pd.Timedelta
) -> str:
    """A new session of ``user`` ending at ``now + lasts`` at the latest; its id, for
    the cookie (the store keeps only its hash)."""
    session_id = secrets.token_urlsafe(32)
    stamp = micros(now)
    with store.engine.begin() as connection:
        connection.execute(
            SESSIONS.insert().values(
                id_hash=_hashed(session_id),
                user_name=user,
                session_version=session_version,
                created_at=stamp,
                last_seen=stamp,
                expires_at=micros(now + lasts),
            )
        )
    return session_id


def live_session(
    store: Store, session_id: str, *, now: pd.Timestamp, idle: pd.Timedelta
) -> HeldSession | None:
    """The session of ``session_id`` if it is neither ended, expired nor idle too long."""
    stamp = micros(now)
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(SESSIONS.c.user_name, SESSIONS.c.session_version, SESSIONS.c.last_seen)
            .where(SESSIONS.c.id_hash == _hashed(session_id))
            .where(SESSIONS.c.ended_at.is_(None))
            .where(SESSIONS.c.expires_at > stamp)
            .where(SESSIONS.c.last_seen > stamp - micros_of(idle))
        ).first()
    return None if row is None else HeldSession(row[0], row[1], row[2])


def touch_session(store: Store, session_id: str, held: HeldSession, *, now: pd.Timestamp) -> None:
    """Mark the session seen ``now`` (where its mark is older than ``TOUCH_EVERY``)."""
    stamp = micros(now)
    if stamp - held.last_seen < micros_of(TOUCH_EVERY):
        return
    with store.engine.begin() as connection:
        connection.execute(
            SESSIONS.update()
            .where(SESSIONS.c.id_hash == _hashed(session_id))
            .values(last_seen=stamp)
        )


def end_session(store: Store, session_id: str, *, now: pd.Timestamp) -> None:
    """End the session of ``session_id`` (nothing where there is none)."""
    with store.engine.begin() as connection:
        connection.execute(
            SESSIONS.update()
            .where(SESSIONS.c.id_hash == _hashed(session_id))
            .where(SESSIONS.c.ended_at.is_(None))
            .values(ended_at=micros(now))
        )


def forget_sessions(store: Store, *, before: pd.Timestamp) -> int:
    """Delete the sessions that expired or ended before ``before``; how many."""
    stamp = micros(before)
    with store.engine.begin() as connection:
        return connection.execute(
            SESSIONS.delete().where(
                sa.or_(SESSIONS.c.expires_at < stamp, SESSIONS.c.ended_at < stamp)
            )
        ).rowcount


def locked_until(store: Store, keys: Sequence[str], *, now: pd.Timestamp) -> pd.Timestamp | None:
    """The latest moment after ``now`` until which any of ``keys`` is locked; None: none."""
    with store.engine.connect() as connection:
        latest = connection.execute(
            sa.select(sa.func.max(FAILURES.c.locked_until)).where(
                FAILURES.c.key.in_([_hashed(k) for k in keys])
            )
        ).scalar()
    if latest is None or latest <= micros(now):
        return None
    return pd.Timestamp(latest * 1000, tz="UTC")


def record_failure(
    store: Store,
    keys: Sequence[str],
    *,
    now: pd.Timestamp,
    wait: Callable[[int], float],
    forget: pd.Timedelta,
) -> int:
    """Count a failed sign-in against each of ``keys`` (a count whose last failure is
    older than ``forget`` starts again) and lock each for ``wait(failures)`` seconds; the
    most failures of the keys."""
    stamp = micros(now)
    counted = 0
    with store.engine.begin() as connection:
        for key in {_hashed(k) for k in keys}:
            connection.execute(
                insert_skipping_held(store.engine, FAILURES, ["key"]).values(
                    key=key, failures=0, last_failed_at=stamp, locked_until=0
                )
            )
            fresh = FAILURES.c.last_failed_at >= stamp - micros_of(forget)
            connection.execute(
                FAILURES.update()
                .where(FAILURES.c.key == key)
                .values(
                    failures=sa.case((fresh, FAILURES.c.failures + 1), else_=1),
                    last_failed_at=stamp,
                )
            )
            failures = connection.execute(
                sa.select(FAILURES.c.failures).where(FAILURES.c.key == key)
            ).scalar_one()
            until = stamp + int(wait(failures) * 1_000_000)
            connection.execute(
                FAILURES.update().where(FAILURES.c.key == key).values(locked_until=until)
            )
            counted = max(counted, failures)
    return counted


def clear_failures(store: Store, keys: Sequence[str]) -> None:
    """Forget the failed sign-ins of ``keys`` (after a sign-in that succeeded)."""
    with store.engine.begin() as connection:
        connection.execute(FAILURES.delete().where(FAILURES.c.key.in_([_hashed(k) for k in keys])))


def micros_of(span: pd.Timedelta) -> int:
    return int(pd.Timedelta(span).value // 1000)
