"""The workspace's sessions and failed sign-ins in a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.store import Store
from leadscore.store.workspace_sessions import (
    clear_failures,
    end_session,
    forget_sessions,
    live_session,
    locked_until,
    open_session,
    record_failure,
    touch_session,
)

NOW = pd.Timestamp("2025-03-03 09:00", tz="UTC")
HOURS = pd.Timedelta(hours=1)


def test_a_session_is_kept_by_its_hash_and_ends_at_sign_out_idle_or_age(database: str) -> None:
    store = Store.open(database)
    live = partial(live_session, store, idle=8 * HOURS)
    session_id = open_session(store, "anna", 3, now=NOW, lasts=12 * HOURS)
    held = live(session_id, now=NOW)
    assert held is not None and (held.user, held.session_version) == ("anna", 3)
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(schema.workspace_sessions.c.id_hash)).scalars()
        assert session_id not in list(stored)  # the id is in the cookie alone
    assert live("another-id", now=NOW) is None
    assert live(session_id, now=NOW + 8 * HOURS) is None  # idle
    touch_session(store, session_id, held, now=NOW + 7 * HOURS)
    assert live(session_id, now=NOW + 11 * HOURS) is not None
    assert live(session_id, now=NOW + 12 * HOURS) is None  # its age
    end_session(store, session_id, now=NOW + HOURS)
    assert live(session_id, now=NOW + 2 * HOURS) is None
    kept = open_session(store, "anna", 3, now=NOW + 9 * 24 * HOURS, lasts=12 * HOURS)
    assert forget_sessions(store, before=NOW + 8 * 24 * HOURS) == 1
    assert live(kept, now=NOW + 9 * 24 * HOURS) is not None


def test_failures_count_lock_and_are_forgotten(database: str) -> None:
    store = Store.open(database)

    def fail(key: str, now: pd.Timestamp) -> int:
        return record_failure(store, [key], now=now, wait=lambda n: 10.0 * n, forget=24 * HOURS)

    assert locked_until(store, ["name:anna"], now=NOW) is None
    assert fail("name:anna", NOW) == 1 and fail("name:anna", NOW) == 2
    until = locked_until(store, ["name:anna", "address:1.2.3.4"], now=NOW)
    assert until == NOW + pd.Timedelta(seconds=20)
    assert locked_until(store, ["name:ben"], now=NOW) is None
    assert locked_until(store, ["name:anna"], now=until) is None  # the wait is over
    assert fail("name:anna", NOW + 25 * HOURS) == 1  # a day later: counted anew
    clear_failures(store, ["name:anna"])
    assert locked_until(store, ["name:anna"], now=NOW + 25 * HOURS) is None
    assert fail("name:anna", NOW + 25 * HOURS) == 1
