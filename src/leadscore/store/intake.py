"""Posted batches into the store, after the checks that need it: the customer of an event
is in the store, its offer in the catalog, its moment not before the customer came in, its
``event_id`` not held for another event."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa

from leadscore.data.intake import Intake
from leadscore.data.validation import ONE_DAY
from leadscore.store import schema
from leadscore.store.driver import chunks
from leadscore.store.keys import ID_COLUMN
from leadscore.store.moments import to_micros
from leadscore.store.store import Appended, Store

# what makes two events with one event_id the same event (its key: see store.keys)
_CONTENT = ("customer_id", "ts", "event_type", "channel", "offer_id", "value", "campaign")
Content = tuple


class Taken(NamedTuple):
    """What became of a batch of events: appended (None where refused), its problems, and
    the status that answers it: 422 for problems of its own or against the store's rows,
    409 where an event_id is held for another event."""

    appended: Appended | None
    problems: list[str]
    status: int = 200


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


def take_events(store: Store, intake: Intake, *, now: pd.Timestamp) -> Taken:
    """The batch appended, or refused with every problem (nothing is written)."""
    problems = intake.problems or store_problems(store, intake)
    if problems:
        return Taken(None, problems, 422)
    reused = reused_event_ids(store, intake)
    if reused:
        return Taken(None, reused, 409)
    return Taken(store.append("events", intake.rows, now=now), [])


def reused_event_ids(store: Store, intake: Intake) -> list[str]:
    """Events whose ``event_id`` the store holds for an event of other content (or an
    earlier item of the batch has, with other content): a new event under an old id, which
    would be counted as a duplicate and lost. The same content again is a retry."""
    rows = intake.rows
    if ID_COLUMN not in rows or rows.empty:
        return []
    given = rows[ID_COLUMN].astype("object")
    with_id = np.flatnonzero(given.map(lambda v: isinstance(v, str) and v != "").to_numpy())
    if not len(with_id):
        return []
    keys = store.keys_of("events", rows)
    posted = _contents(rows)
    held = _held(store, [str(keys[i]) for i in with_id])
    first: dict[str, int] = {}
    problems = []
    for i in with_id:
        key, event_id = str(keys[i]), given.iat[i]
        other = held.get(key)
        earlier = first.setdefault(key, i)
        if other is not None and other != posted[i]:
            problems.append(
                f"events[{i}].event_id: {event_id!r} is already stored for another event "
                f"({_described(other)}); send a new event_id for a new event"
            )
        elif other is None and posted[earlier] != posted[i]:
            problems.append(
                f"events[{i}].event_id: {event_id!r} is events[{earlier}]'s too, another "
                "event; send a new event_id for a new event"
            )
    return problems


def _contents(rows: pd.DataFrame) -> list[Content]:
    """Each posted row's content as the store holds it (moments in microseconds)."""
    columns = [
        to_micros(rows["ts"]).tolist() if c == "ts" else rows[c].astype("object").tolist()
        for c in _CONTENT
    ]
    return [tuple(_plain(v) for v in row) for row in zip(*columns, strict=True)]


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, int | float) else str(value)


def _held(store: Store, keys: list[str]) -> dict[str, Content]:
    """The content of the stored events under ``keys``, by key."""
    table = schema.events
    query = sa.select(table.c.row_key, *(table.c[c] for c in _CONTENT))
    found = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(keys))):
            for key, *content in connection.execute(query.where(table.c.row_key.in_(chunk))):
                found[key] = tuple(_plain(v) for v in content)
    return found


def _described(content: Content) -> str:
    customer_id, ts, event_type, *_ = content
    moment = pd.Timestamp(ts, unit="us", tz="UTC")
    return f"customer {customer_id!r}, {event_type} at {moment.isoformat()}"


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
