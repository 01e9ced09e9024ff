"""Rows inserted straight through the driver: a row the store holds already is counted,
not added, whatever the batch it comes in."""

from __future__ import annotations

import pandas as pd

from leadscore.store.store import Store
from tests.conftest import NOW


def test_a_retried_batch_adds_nothing(database: str) -> None:
    store = Store.open(database)
    events = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-1", "C-2", "C-2"],
            "ts": pd.to_datetime(
                [
                    "2026-11-01 10:00:00.000001",
                    "2026-11-01 10:00:00.000002",
                    "2026-11-02",
                    "2026-11-02",
                ],
                utc=True,
                format="ISO8601",
            ),
            "event_type": ["page_view", "page_view", "call", "call"],
            "event_id": [None, None, "crm-7", "crm-8"],
        }
    )
    first = store.append("events", events, now=NOW)
    assert (first.added, first.duplicates) == (4, 0)  # a microsecond apart, or own ids
    again = store.append("events", events, now=NOW)
    assert (again.added, again.duplicates) == (0, 4)
    # the same id is the same event, whatever it says now; the same content without an id
    # is the same event too (a twice-exported row)
    changed = events.iloc[[2, 0]].assign(event_type=["meeting", "page_view"])
    third = store.append("events", changed, now=NOW)
    assert (third.added, third.duplicates) == (0, 2)
    twice_in_one = pd.concat([events.iloc[[1]]] * 2).assign(ts=pd.Timestamp("2026-11-03", tz="UTC"))
    fourth = store.append("events", twice_in_one, now=NOW)
    assert (fourth.added, fourth.duplicates) == (1, 1)
    assert store.count("events") == 5
