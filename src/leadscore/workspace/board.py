"""The lead board: every known lead's standing in memory, ranked by score, for the lead
list's filters and pages.

The store answers a lead list of 100,000 leads filtered by a profile field or a campaign
only by reading every row; the board reads them once (``LeadBoard.read``) and a page then
takes boolean masks over arrays already in rank order. The workspace reads it again in the
background (``BoardKeeper``), so a list is at most a minute behind the score log; a lead's
own page reads the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.data.tables import DISPLAY_COLUMNS, REP_EVENTS, TRADE_FAIR_VISIT
from leadscore.store.score_log import current_scores
from leadscore.store.store import Store
from leadscore.workspace.ownership import claims, mine
from leadscore.workspace.users import User

log = logging.getLogger(__name__)

WEEK = pd.Timedelta(days=7)
GRADES = ("A", "B", "C", "D")
# the display fields a lead list shows besides the name and territory (their own columns)
CONTACT_FIELDS = tuple((c, c) for c in DISPLAY_COLUMNS if c not in ("name", "territory"))
SEARCHED = ("name", "company", "email")  # besides the id


VIEWS = ("all", "mine", "territory")


@dataclass(frozen=True)
class Filters:
    """What a list shows. ``viewer``: who looks (their territories bound what they see,
    and "mine" and "territory" are theirs); ``now``: leads put aside past it come back."""

    grade: str | None = None
    territory: str | None = None
    campaign: str | None = None
    rising: bool = False
    search: str | None = None
    view: str = "all"
    with_snoozed: bool = False
    viewer: User | None = None
    now: pd.Timestamp | None = None


@dataclass(frozen=True)
class LeadBoard:
    """``leads``: one row a customer, best score first (unscored last): customer_id, name,
    territory, company, job_title, email, phone, owner (None where unknown), score, grade,
    probability, delta_week (points since the newest score at least a week older; NaN
    without one), scored_at, last_activity, taken_by (the user who took it) and
    snoozed_until. ``campaigns``: each
    campaign's leads as positions in ``leads``; ``fairs``: the campaigns with trade-fair
    scans and how many leads were scanned there."""

    leads: pd.DataFrame
    campaigns: dict[str, np.ndarray]
    fairs: dict[str, int]
    built_at: pd.Timestamp

    @classmethod
    def read(
        cls,
        store: Store,
        *,
        now: pd.Timestamp,
        territory_column: str | None,
        name_column: str | None,
    ) -> LeadBoard:
        # the attributes shown, not every profile field any lead was sent with
        shown = (("name", name_column), ("territory", territory_column), *CONTACT_FIELDS)
        fields = list(dict.fromkeys(column for _, column in shown if column))
        customers = store.customers(fields=fields)
        ids = customers["customer_id"].astype(str)
        leads = pd.DataFrame({"customer_id": ids})
        for target, column in shown:
            values = customers[column] if column and column in customers else None
            leads[target] = (
                values.astype("object").where(values.notna(), None).map(_text).to_numpy()
                if values is not None
                else None
            )
        latest = current_scores(store).set_index("customer_id")
        earlier = current_scores(store, at_or_before=now - WEEK).set_index("customer_id")
        # looked up by reindexing, which keeps each column's type where no lead is scored
        # yet (a map onto no moments raised a TypeError, and the board never came)
        keys = ids.to_numpy()
        leads["score"] = latest["score"].reindex(keys).astype("float64").to_numpy()
        leads["grade"] = latest["grade"].reindex(keys).to_numpy()
        leads["probability"] = latest["probability"].reindex(keys).astype("float64").to_numpy()
        leads["scored_at"] = latest["scored_at"].reindex(keys).array  # moments keep their zone
        week_before = earlier["score"].reindex(keys).astype("float64").to_numpy()
        leads["delta_week"] = leads["score"] - week_before
        leads["last_activity"] = store.latest_activity().reindex(keys).array
        claimed = claims(store)
        leads["taken_by"] = claimed["taken_by"].reindex(keys).to_numpy(dtype="object")
        leads["snoozed_until"] = claimed["snoozed_until"].reindex(keys).array
        ranked = leads.sort_values(
            ["score", "customer_id"], ascending=[False, True], na_position="last"
        ).reset_index(drop=True)
        members = store.campaign_members(TRADE_FAIR_VISIT, REP_EVENTS)  # reps': no campaign
        position = pd.Series(np.arange(len(ranked)), index=ranked["customer_id"])
        members["position"] = members["customer_id"].map(position)
        members = members.dropna(subset=["position"])
        campaigns = {
            str(name): np.sort(group["position"].to_numpy(dtype=np.int64))
            for name, group in members.groupby("campaign")
        }
        scanned = members[members["marked"]].groupby("campaign")["customer_id"].nunique()
        fairs = {str(k): int(v) for k, v in scanned.sort_values(ascending=False).items()}
        return cls(ranked, campaigns, fairs, now)

    @property
    def territories(self) -> list[str]:
        return sorted(t for t in self.leads["territory"].dropna().unique())

    def select(self, filters: Filters) -> np.ndarray:
        """The positions (in rank order) of the leads that pass ``filters``."""
        leads = self.leads
        mask = np.ones(len(leads), dtype=bool)
        viewer = filters.viewer
        if viewer is not None and not viewer.sees_every_lead:  # a permission, not a filter
            mask &= leads["territory"].isin(viewer.territories).to_numpy(dtype=bool)
        if viewer is not None and filters.view == "mine":
            mask &= mine(leads["taken_by"], leads["owner"], viewer)
        if viewer is not None and filters.view == "territory":
            mask &= leads["territory"].isin(viewer.territories).to_numpy(dtype=bool)
        if not filters.with_snoozed:
            now = filters.now if filters.now is not None else self.built_at
            mask &= ~(leads["snoozed_until"] > now).to_numpy(dtype=bool)
        if filters.grade:
            mask &= (leads["grade"] == filters.grade).to_numpy()
        if filters.territory:
            mask &= (leads["territory"] == filters.territory).to_numpy()
        if filters.rising:
            mask &= (leads["delta_week"] > 0).to_numpy()
        if filters.campaign is not None:
            within = np.zeros(len(leads), dtype=bool)
            within[self.campaigns.get(filters.campaign, np.array([], dtype=np.int64))] = True
            mask &= within
        if filters.search:
            wanted = filters.search.strip().lower()
            found = leads["customer_id"].str.lower().str.contains(wanted, regex=False)
            for column in SEARCHED:
                if leads[column].notna().any():
                    values = leads[column].astype("str").str.lower()
                    found |= values.str.contains(wanted, regex=False) & leads[column].notna()
            mask &= found.to_numpy(dtype=bool)
        return np.flatnonzero(mask)

    def page(self, filters: Filters, *, page: int, per_page: int) -> tuple[pd.DataFrame, int]:
        """The ``page``-th (from 1) ``per_page`` leads passing ``filters``, and how many pass;
        a page beyond the last is the last (a link kept from a longer list shows leads)."""
        chosen = self.select(filters)
        last_page = max(-(-len(chosen) // per_page), 1)
        start = (min(max(page, 1), last_page) - 1) * per_page
        return self.leads.iloc[chosen[start : start + per_page]], len(chosen)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class BoardKeeper:
    """The board of the store, read again ``every`` seconds in a thread of its own; the
    first asker waits for the first read."""

    def __init__(self, read: Callable[[pd.Timestamp], LeadBoard], *, every: float = 60.0) -> None:
        self._read = read
        self.every = every
        self._board: LeadBoard | None = None
        self._ready = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def board(self, *, timeout: float = 120.0) -> LeadBoard | None:
        self._start()
        self._ready.wait(timeout)
        return self._board

    def refresh(self) -> None:
        """Read the board now (in the caller's thread)."""
        self._board = self._read(pd.Timestamp.now(tz="UTC"))
        self._ready.set()

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="lead-board", daemon=True).start()

    def _run(self) -> None:
        while True:
            clock = time.perf_counter()
            try:
                self.refresh()
            except Exception:  # the store may be down a while: the old board serves
                log.exception("reading the lead board from the store failed")
                self._ready.set()
            time.sleep(max(self.every - (time.perf_counter() - clock), 1.0))
