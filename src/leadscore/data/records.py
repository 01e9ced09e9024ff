"""Leads sent as records (a CRM's JSON: profile attributes plus recent events) as the
canonical customers and events tables, parsed by the same rules as files.

A value that cannot be read is an InputError naming the lead and field
(``leads[3].events[0].ts``) and what to write instead, as a file's problem names its row
and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.parsing import PARSE_FIXES, parse_column
from leadscore.data.tables import EVENTS, ColumnKind, column_names

RECORD_TIMEZONE = "UTC"  # a record's timestamps without an offset are UTC


def record_tables(
    records: Sequence[Mapping],
    *,
    now: pd.Timestamp,
    event_types: frozenset[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customers, events) of ``records``: one customer per record (``record-<i>`` where
    it has no id, ``created_at`` defaulting to ``now``), its profile as extra columns (left
    as sent: the models read them), its events in canonical columns and kinds.

    With ``event_types``, an event of another type is an InputError naming each one.
    """
    if event_types is not None:
        _check_event_types(records, event_types)
    customers, events, event_where = [], [], []
    for i, record in enumerate(records):
        customer_id = record.get("customer_id") or f"record-{i}"
        profile = dict(record.get("profile") or {})
        customers.append(
            {**profile, "customer_id": customer_id, "created_at": record.get("created_at")}
        )
        for j, event in enumerate(record.get("events") or []):
            events.append({**event, "customer_id": customer_id})
            event_where.append(f"leads[{i}].events[{j}]")
    customer_frame = pd.DataFrame(customers)
    created = _parsed(
        customer_frame["created_at"],
        "timestamp",
        [f"leads[{i}]" for i in range(len(records))],
        "created_at",
    )
    customer_frame["created_at"] = created.fillna(now)
    return customer_frame, _event_frame(events, event_where)


def _check_event_types(records: Sequence[Mapping], known: frozenset[str]) -> None:
    unknown = [
        f"leads[{i}].events[{j}].event_type: {event.get('event_type')!r}"
        for i, record in enumerate(records)
        for j, event in enumerate(record.get("events") or [])
        if event.get("event_type") not in known
    ]
    if unknown:
        shown = "; ".join(unknown[:5]) + (
            f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
        )
        raise InputError(
            f"unknown event type(s): {shown}. Known: {', '.join(sorted(known))}. Send one of "
            "these (the canonical types, see docs/reference.md), or start the service with "
            "LEADSCORE_UNKNOWN_EVENT_TYPES=accept to count others as activity"
        )


def _event_frame(events: list[dict], where: list[str]) -> pd.DataFrame:
    raw = pd.DataFrame(events, columns=column_names("events"))
    frame = {"customer_id": raw["customer_id"].astype("object")}
    for column in EVENTS.columns[1:]:
        frame[column.name] = _parsed(raw[column.name], column.kind, where, column.name)
    return pd.DataFrame(frame)


def _parsed(values: pd.Series, kind: ColumnKind, where: list[str], field: str) -> pd.Series:
    parsed, failed = parse_column(values, kind, timezone=RECORD_TIMEZONE)
    bad = np.flatnonzero(failed.to_numpy())
    if len(bad):
        first = int(bad[0])
        raise InputError(
            f"{where[first]}.{field}: {values.iat[first]!r} cannot be read as {kind}; "
            f"{PARSE_FIXES[kind]}"
            + (f" ({len(bad) - 1} more such value(s) in this request)" if len(bad) > 1 else "")
        )
    return parsed
