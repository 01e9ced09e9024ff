"""Posted batches into the store, after the checks that need it: the customer of an event
is in the store, its offer in the catalog, its moment not before the customer came in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.data.intake import Intake
from leadscore.data.validation import ONE_DAY
from leadscore.store.store import Appended, Store


def store_problems(store: Store, intake: Intake) -> list[str]:
    """What the store says against a batch of events that passed its own checks."""
    rows = intake.rows
    ids = rows["customer_id"].astype(str)
    created = store.created_at(ids.unique().tolist())
    problems = []
    unknown = ~ids.isin(created.index)
    for row in np.flatnonzero(unknown.to_numpy()):
        problems.append(
            f"events[{row}].customer_id: {ids.iat[row]!r} is not a customer in the store; "
            "add the lead first (POST /leads), then its events"
        )
    # looked up by reindexing, which keeps the moments' type where no customer of the
    # batch is known (a map onto no moments raised a TypeError: a 500 to the CRM)
    when = created.reindex(ids.to_numpy()).set_axis(rows.index)
    early = (rows["ts"] < when - ONE_DAY).fillna(False).to_numpy(dtype=bool)
    for row in np.flatnonzero(early):
        problems.append(
            f"events[{row}].ts: {rows['ts'].iat[row]} lies before the lead's created_at "
            f"({when.iat[row]}) by more than a day; send the event's real moment"
        )
    offered = rows["offer_id"].astype("object")
    if offered.notna().any():
        catalog = store.offer_ids()
        stray = offered.notna() & ~offered.astype(str).isin(catalog)
        for row in np.flatnonzero(stray.to_numpy()):
            problems.append(
                f"events[{row}].offer_id: {offered.iat[row]!r} is not an offer of the catalog "
                "in the store; send one of its offer_ids, or leave it out"
            )
    return problems


def take_events(
    store: Store, intake: Intake, *, now: pd.Timestamp
) -> tuple[Appended | None, list[str]]:
    """The batch appended (None and every problem, where it has any: nothing is written)."""
    problems = intake.problems or store_problems(store, intake)
    if problems:
        return None, problems
    return store.append("events", intake.rows, now=now), []


def take_leads(
    store: Store, intake: Intake, *, now: pd.Timestamp
) -> tuple[tuple[int, int] | None, list[str]]:
    """The leads inserted or updated (None and every problem, where it has any)."""
    if intake.problems:
        return None, intake.problems
    repeated = intake.rows["customer_id"].duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)
        return None, [
            f"leads[{row}].customer_id: {intake.rows['customer_id'].iat[row]!r} comes more "
            "than once in the batch; send each lead once"
            for row in rows
        ]
    return store.put_customers(intake.rows, now=now), []
