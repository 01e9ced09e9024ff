"""Whose a lead is and whether a rep put it aside, read from the reps' claims in the store,
and what a user may see.

A rep takes a lead (an event ``rep_took_lead``) or puts it aside for some days
(``rep_snoozed``, its value the days); like every action these are events of the lead, so
the timeline, the export and the CRM see them. The newest take wins: a lead taken by
another rep is no longer in the CRM owner's "meine Leads". A user with territories sees
only their leads (a permission, checked on every page), unless they are a manager.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from leadscore.data.tables import REP_CLAIMS
from leadscore.store import schema
from leadscore.store.store import Store
from leadscore.workspace.users import User

SNOOZE_DAYS = (1, 3, 7, 14, 30)  # what the form offers; the most a lead is put aside
CLAIM_COLUMNS = ["taken_by", "snoozed_until"]


def claims(store: Store, customer_id: str | None = None) -> pd.DataFrame:
    """Each claimed lead's ``taken_by`` (the user name of its newest take; None where it
    was never taken) and ``snoozed_until`` (its newest snooze's end; NaT without one),
    by customer_id (of every lead, or of ``customer_id``'s); leads no rep claimed are
    left out."""
    events = schema.events
    query = (
        sa.select(events.c.customer_id, events.c.event_type, events.c.ts, events.c.campaign,
                  events.c.value)
        .where(events.c.event_type.in_(REP_CLAIMS))
        .order_by(events.c.ts, events.c.seq)
    )  # fmt: skip
    if customer_id is not None:
        query = query.where(events.c.customer_id == customer_id)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=["customer_id", "event_type", "ts", "campaign", "value"])
    return claims_of(frame)


def claims_of_lead(store: Store | None, customer_id: str) -> dict[str, object]:
    """One lead's ``taken_by`` (None) and ``snoozed_until`` (None where not put aside)."""
    found = claims(store, customer_id) if store is not None else pd.DataFrame()
    if found.empty:
        return {"taken_by": None, "snoozed_until": None}
    row = found.iloc[0]
    until = row["snoozed_until"]
    return {"taken_by": row["taken_by"], "snoozed_until": None if pd.isna(until) else until}


def claims_of(events: pd.DataFrame) -> pd.DataFrame:
    """``claims`` of the claim events given, oldest first (ts: microseconds since the
    epoch, as the store keeps them; campaign: "user" or "user: note")."""
    taken = events[events["event_type"] == "rep_took_lead"].drop_duplicates(
        "customer_id", keep="last"
    )
    snoozed = events[events["event_type"] == "rep_snoozed"].drop_duplicates(
        "customer_id", keep="last"
    )
    by = pd.Series(
        [_user_of(c) for c in taken["campaign"]], index=taken["customer_id"], dtype="object"
    )
    start = pd.to_datetime(snoozed["ts"].astype("int64"), unit="us", utc=True)
    days = pd.to_timedelta(snoozed["value"].astype("float64").fillna(0.0), unit="D")
    until = pd.Series((start + days).array, index=snoozed["customer_id"])
    ids = pd.Index(pd.unique(np.concatenate([by.index.to_numpy(), until.index.to_numpy()])))
    result = pd.DataFrame(index=ids.rename("customer_id"))
    result["taken_by"] = by.reindex(ids).to_numpy(dtype="object")
    result["snoozed_until"] = until.reindex(ids).array if len(until) else pd.NaT
    result["snoozed_until"] = pd.to_datetime(result["snoozed_until"], utc=True)
    return result


def _user_of(campaign: object) -> str | None:
    if not isinstance(campaign, str) or not campaign:
        return None
    return campaign.split(":", 1)[0].strip() or None


def mine(taken_by: pd.Series, owner: pd.Series, user: User) -> np.ndarray:
    """Which leads are ``user``'s: taken by them, or owned by them in the CRM's records and
    not taken by another rep since."""
    by_me = (taken_by == user.name).to_numpy(dtype=bool)
    untaken = taken_by.isna().to_numpy(dtype=bool)
    owned = (owner == user.owner_name).to_numpy(dtype=bool)
    return by_me | (untaken & owned)


def may_see(user: User | None, territory: object) -> bool:
    """Whether ``user`` may open a lead of ``territory`` (None: no territory known)."""
    if user is None:
        return False
    if user.sees_every_lead:
        return True
    # as the board reads it: a profile may hold a territory as a number (10)
    return territory is not None and str(territory) in user.territories


def allowed_territories(user: User) -> tuple[str, ...] | None:
    """The territories whose leads ``user`` sees (None: every lead)."""
    return None if user.sees_every_lead else user.territories


def snooze_days(given: str | None) -> int | None:
    """The days of a snooze form (one of ``SNOOZE_DAYS``), None where it is not one."""
    try:
        days = int(given or "")
    except ValueError:
        return None
    return days if days in SNOOZE_DAYS else None


def user_names(users: Iterable[User]) -> dict[str, str]:
    """Each user's name as the pages show it, by sign-in name."""
    return {u.name: u.display_name for u in users}
