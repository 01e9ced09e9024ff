"""Known customers' features, built ahead of requests in a thread of the service.

Building one customer's features from its events takes the point-in-time builder about
30 ms; a round here builds those of the store's most active customers in batches (a few
milliseconds a customer), so the first request for a lead finds them kept, as the
snapshot path finds its feature table. A round runs every half of the kept features'
life, and rebuilds only those older than that; a lead something new came in for is
built again at intake or by its next request, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import pandas as pd

log = logging.getLogger(__name__)


class KeepsFeatures(Protocol):
    """What the keeper needs of the service's live scorer (``leadscore.scoring.live``)."""

    live_ttl: pd.Timedelta

    @property
    def kept_leads(self) -> int: ...

    def keep_ahead(self, *, now: pd.Timestamp, stop: Callable[[], bool]) -> int: ...


class FeatureKeeper:
    def __init__(self, live: Callable[[], KeepsFeatures | None]) -> None:
        self.live = live
        self._status: dict = {"kept": 0, "rounds": 0, "last_round": None}

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set (the service's end)."""
        while not stop.is_set():
            live = self.live()
            if live is None:
                stop.wait(1.0)  # the champions are still loading
                continue
            self.round(live, stop)
            stop.wait(live.live_ttl.total_seconds() / 2)

    def round(self, live: KeepsFeatures, stop: threading.Event | None = None) -> int:
        """One round: the kept features of the most active customers brought up to date;
        how many were built. A failed round leaves the requests to build their own."""
        started, clock = pd.Timestamp.now(tz="UTC"), time.perf_counter()
        try:
            built = live.keep_ahead(
                now=started, stop=(stop.is_set if stop is not None else lambda: False)
            )
        except Exception:  # the store may be down a while: requests say so themselves
            log.exception("building the features of known customers ahead of requests failed")
            return 0
        self._status = {
            "kept": live.kept_leads,
            "rounds": self._status["rounds"] + 1,
            "last_round": {
                "at": started.isoformat(),
                "built": built,
                "seconds": round(time.perf_counter() - clock, 3),
            },
        }
        return built

    def status(self) -> dict:
        return dict(self._status)
