from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from leadscore.scoring.live_cache import CachedLead, LiveFeatureCache

AT = pd.Timestamp("2026-12-01 10:00", tz="UTC")


def _lead(stamp: tuple[int, int | None, int | None]) -> CachedLead:
    return CachedLead(stamp, AT, np.zeros(3), None, None, (1.0,))


def test_an_entry_serves_while_its_stamp_holds_and_it_is_young() -> None:
    cache = LiveFeatureCache(ttl=pd.Timedelta(minutes=5), max_leads=2)
    cache.put("C-1", _lead((1, 7, None)))
    assert cache.fresh("C-1", (1, 7, None), AT + pd.Timedelta(minutes=4)) is not None
    assert cache.fresh("C-1", (1, 7, None), AT - pd.Timedelta(seconds=1)) is None  # a backfill
    cache.put("C-1", _lead((1, 7, None)))
    assert cache.fresh("C-1", (1, 8, None), AT) is None  # a new event
    cache.put("C-1", _lead((1, 7, None)))
    assert cache.fresh("C-1", (1, 7, None), AT + pd.Timedelta(minutes=6)) is None  # too old
    for customer in ("C-1", "C-2", "C-3"):
        cache.put(customer, _lead((1, 7, None)))
    assert len(cache) == 2 and cache.fresh("C-1", (1, 7, None), AT) is None  # least recent out


def test_a_copy_in_another_process_starts_empty() -> None:
    cache = LiveFeatureCache(ttl=pd.Timedelta(minutes=5), max_leads=10)
    cache.put("C-1", _lead((1, 7, None)))
    copy = pickle.loads(pickle.dumps(cache))  # a Dask worker's or the bulk process's
    assert len(copy) == 0 and copy.ttl == cache.ttl and copy.max_leads == 10
    copy.put("C-2", _lead((1, 7, None)))
    assert len(copy) == 1


def test_an_entry_built_before_an_event_dated_ahead_does_not_serve_after_it() -> None:
    cache = LiveFeatureCache(ttl=pd.Timedelta(minutes=5), max_leads=10)
    ahead = AT + pd.Timedelta(minutes=2)  # within the few minutes intake lets through
    stamp = (1, 7, int(ahead.value // 1000))
    cache.put("C-1", _lead(stamp))  # built at AT, before the event's moment
    assert cache.fresh("C-1", stamp, AT + pd.Timedelta(minutes=3)) is None
