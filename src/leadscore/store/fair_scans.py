"""Trade-fair scans as the follow-up reads them: each ``trade_fair_visit`` event with its
fair (the event's campaign) and its booth note (``scan_notes``, by the event's row_key),
and what came of the leads after: the reps' actions and the conversions.

A booth note is text a rep reads, never a model feature, so it has a table of its own
rather than a canonical events column that every loader, feature build and validation
would carry. A scan sent without a note (``POST /events``, a CRM export) is a scan all
the same: the reads left-join the notes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from leadscore.data.tables import REP_ACTIONS, TRADE_FAIR_VISIT
from leadscore.store import schema
from leadscore.store.driver import chunks
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store

SCAN_COLUMNS = ["customer_id", "fair", "ts", "note", "interest", "wants_call"]


def put_scan_notes(store: Store, notes: pd.DataFrame, *, now: pd.Timestamp) -> None:
    """Keep the notes (row_key, customer_id, fair, note, interest, wants_call); a scan's
    note imported again replaces the one held (a corrected export's word is the newer)."""
    if notes.empty:
        return
    table = schema.scan_notes
    stamp = micros(now)
    rows = [
        {**{k: (None if pd.isna(v) else v) for k, v in r.items()}, "imported_at": stamp}
        for r in notes[
            ["row_key", "customer_id", "fair", "note", "interest", "wants_call"]
        ].to_dict("records")
    ]
    for r in rows:
        r["wants_call"] = bool(r["wants_call"])
    with store.engine.begin() as connection:
        for chunk in chunks(rows):
            keys = [r["row_key"] for r in chunk]
            connection.execute(table.delete().where(table.c.row_key.in_(keys)))
            connection.execute(table.insert(), chunk)


def fair_scans(store: Store, fair: str | None = None) -> pd.DataFrame:
    """Every trade-fair scan (of ``fair`` where given) with its note, oldest first:
    customer_id, fair, ts (UTC), note, interest, wants_call (False without a note)."""
    events, notes = schema.events, schema.scan_notes
    query = (
        sa.select(
            events.c.customer_id,
            events.c.campaign,
            events.c.ts,
            notes.c.note,
            notes.c.interest,
            notes.c.wants_call,
        )
        .select_from(events.outerjoin(notes, notes.c.row_key == events.c.row_key))
        .where(events.c.event_type == TRADE_FAIR_VISIT, events.c.campaign.is_not(None))
        .order_by(events.c.ts, events.c.seq)
    )
    if fair is not None:
        query = query.where(events.c.campaign == fair)
    with store.engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(query).all()]
    frame = pd.DataFrame(rows, columns=SCAN_COLUMNS).astype(
        {"customer_id": "object", "fair": "object", "note": "object", "interest": "object"}
    )
    frame["ts"] = from_micros(frame["ts"].to_numpy()).array
    frame["wants_call"] = frame["wants_call"].fillna(False).astype(bool)
    return frame


def _moments_of(
    store: Store, table: sa.Table, customer_ids: Sequence[str], *where: sa.ColumnElement
) -> list[tuple]:
    found: list[tuple] = []
    kind = table.c.event_type if "event_type" in table.c else sa.literal("outcome")
    query = sa.select(table.c.customer_id, kind, table.c.ts).where(*where)
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            found += [
                tuple(r) for r in connection.execute(query.where(table.c.customer_id.in_(chunk)))
            ]
    return found


def after_scans(store: Store, customer_ids: Sequence[str]) -> pd.DataFrame:
    """What the leads did or had done since: each rep action (``rep_*``), each purchase
    event and each outcome (event_type ``outcome``), as customer_id, event_type, ts."""
    events = schema.events
    rows = _moments_of(
        store, events, customer_ids, events.c.event_type.in_([*REP_ACTIONS, "purchase"])
    ) + _moments_of(store, schema.outcomes, customer_ids)
    frame = pd.DataFrame(rows, columns=["customer_id", "event_type", "ts"]).astype(
        {"customer_id": "object", "event_type": "object"}
    )
    frame["ts"] = from_micros(frame["ts"].to_numpy()).array
    return frame
