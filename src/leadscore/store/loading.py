"""Canonical tables into the store: a whole source, or a day's export appended to it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.store.store import Appended, Store

APPENDED_TABLES = ("events", "outcomes", "exposures")


@dataclass(frozen=True)
class StoreLoad:
    """What loading did to the store: customers new and updated, rows appended per table,
    and rows refused because their customer is in neither the export nor the store."""

    customers_added: int
    customers_updated: int
    appended: dict[str, Appended]
    offers: int
    unknown_customers: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return sum(len(f) for f in self.unknown_customers.values())


def put_canonical(store: Store, data: CanonicalData, *, now: pd.Timestamp) -> StoreLoad:
    """Customers inserted or updated, the catalog replaced where the source has one, and
    the rows of the other tables appended (a row the store holds already counts once). A
    row of a customer the store does not hold, after this source's customers went in, is
    left out and returned: an export of events alone may name only known customers."""
    added, updated = store.put_customers(data.customers, now=now)
    if len(data.offers):
        store.put_offers(data.offers)
    appended, unknown = {}, {}
    for name in APPENDED_TABLES:
        frame = data.table(name)
        if frame.empty:
            appended[name] = Appended(name, 0, 0)
            continue
        ids = frame["customer_id"].astype(str)
        known = store.known(ids.unique().tolist())
        fits = ids.isin(known).to_numpy()
        if not fits.all():
            unknown[name] = frame[~fits]
        appended[name] = store.append(name, frame[fits], now=now)
    return StoreLoad(added, updated, appended, len(data.offers), unknown)
