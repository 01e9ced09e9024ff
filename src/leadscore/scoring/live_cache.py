"""Known customers' encoded features, kept between requests.

An entry serves a later request only while the customer is as the store held it then (no
event has come in since and the profile is unchanged: their stamp), while none of its
events is dated after the entry was built, and for at most ``ttl``: features that count
days or windows move with the clock, so an entry is built again once it is that old. A
feature older than the customer's last event is never served. The least recently used
entries go first beyond ``max_leads``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.store.moments import micros

# (customer updated_at, newest event's number, latest event's moment in microseconds)
Stamp = tuple[int, int | None, int | None]


@dataclass(frozen=True)
class CachedLead:
    stamp: Stamp
    as_of: pd.Timestamp
    conversion: np.ndarray | None  # the lead's encoded row for each model
    nbo: np.ndarray | None
    allowed: np.ndarray | None
    # the conversion model's feature values, in its order, as the log keeps them (a tuple:
    # a third of a dict's memory, for up to 200,000 kept leads)
    values: tuple


class LiveFeatureCache:
    def __init__(self, *, ttl: pd.Timedelta, max_leads: int) -> None:
        self.ttl = ttl
        self.max_leads = max_leads
        self._entries: OrderedDict[str, CachedLead] = OrderedDict()
        self._lock = threading.Lock()

    def fresh(self, customer_id: str, stamp: Stamp, now: pd.Timestamp) -> CachedLead | None:
        """The entry of a customer where it may serve a request at ``now``."""
        with self._lock:
            entry = self._entries.get(customer_id)
            if entry is None:
                return None
            latest = stamp[2]
            if (
                entry.stamp != stamp
                or not (now - self.ttl <= entry.as_of <= now)
                # an event dated a little ahead (clocks differ) was not counted then
                or (latest is not None and micros(entry.as_of) < latest)
            ):
                del self._entries[customer_id]
                return None
            self._entries.move_to_end(customer_id)
            return entry

    def put(self, customer_id: str, entry: CachedLead) -> None:
        if self.max_leads <= 0 or self.ttl <= pd.Timedelta(0):
            return
        with self._lock:
            self._entries[customer_id] = entry
            self._entries.move_to_end(customer_id)
            while len(self._entries) > self.max_leads:
                self._entries.popitem(last=False)

    def __getstate__(self) -> dict:
        # a Scorer travels to Dask workers and bulk processes: its kept features stay here
        return {"ttl": self.ttl, "max_leads": self.max_leads}

    def __setstate__(self, state: dict) -> None:
        self.__init__(ttl=state["ttl"], max_leads=state["max_leads"])  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self._entries)
