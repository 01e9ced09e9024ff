"""Leads sent as records (a CRM's JSON: profile attributes plus recent events) as the
canonical customers and events tables, checked by the rules files are checked by.

A lead whose record breaks a rule is left out of the tables with one problem naming the
lead and field (``leads[3].events[0].ts``) and what to write instead, as a file's problem
names its row and column; the other leads of the request are not held back by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadscore.data.parsing import PARSE_FIXES, parse_posted
from leadscore.data.tables import (
    DISPLAY_COLUMNS,
    EVENTS,
    ColumnKind,
    column_names,
    with_default_channels,
)
from leadscore.data.validation import EXPLANATIONS, FUTURE_SKEW, ONE_DAY, posted_future_fix

# the zone a posted time without an offset is read in, unless the service names another
RECORD_TIMEZONE = "UTC"
# a posted moment that cannot be read: how to write one (see parsing.posted_timestamps)
POSTED_TIMESTAMP_FIX = (
    "write ISO 8601 (2026-12-07T09:30:00+01:00; without an offset it is read in "
    "LEADSCORE_TIMEZONE), or a number: seconds since 1970-01-01 UTC, or milliseconds "
    "(1e11 or more)"
)
# how much earlier than its lead's created_at an event may be (clocks of two systems)
CREATED_AT_TOLERANCE = ONE_DAY


def record_key(position: int) -> str:
    """The id a record goes by inside one request: its position, so that two records of
    one customer (or two without an id) never collide."""
    return f"record-{position}"


@dataclass(frozen=True)
class RecordTables:
    """The accepted records' tables, keyed by ``record_key``, and each refused lead's
    problem by its position in the request."""

    customers: pd.DataFrame
    events: pd.DataFrame
    problems: dict[int, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[int]:
        """Positions of the leads in the tables, in request order."""
        return [int(k.removeprefix("record-")) for k in self.customers["customer_id"]]


def record_tables(
    records: Sequence[Mapping],
    *,
    now: pd.Timestamp,
    event_types: frozenset[str] | None = None,
    positions: Sequence[int] | None = None,
    timezone: str = RECORD_TIMEZONE,
) -> RecordTables:
    """The tables of ``records``: one customer per record, its profile as extra columns
    (left as sent: the models read them), its events in canonical columns and kinds.

    A record is refused, with its first problem, when a value cannot be read, a timestamp
    lies in the future, an event lies before the lead's ``created_at`` (by more than a
    day), or, with ``event_types``, an event is of another type. A record without
    ``created_at`` came in with its first event (now, if it has none). Messages name a
    lead by its position in the request: ``positions[i]`` where given (the records may be
    some of a request's leads), else ``i``; ``problems`` are keyed by ``i``. A time
    without an offset is read in ``timezone`` (see ``parsing.posted_timestamps``).
    """
    at = list(positions) if positions is not None else list(range(len(records)))
    problems: dict[int, str] = {}
    customers, events, event_lead, event_where = [], [], [], []
    for i, record in enumerate(records):
        profile = dict(record.get("profile") or {})
        customers.append(
            {**profile, "customer_id": record_key(i), "created_at": record.get("created_at")}
        )
        for j, event in enumerate(record.get("events") or []):
            where = f"leads[{at[i]}].events[{j}]"
            kind = event.get("event_type")
            if event_types is not None and kind not in event_types:
                problems.setdefault(i, _unknown_event_type(where, kind, event_types))
            events.append({**event, "customer_id": record_key(i)})
            event_lead.append(i)
            event_where.append(where)
    customer_frame = pd.DataFrame(customers)
    lead_where = [f"leads[{at[i]}]" for i in range(len(records))]
    leads = np.arange(len(records))
    created = _parsed(
        customer_frame["created_at"],
        "timestamp",
        lead_where,
        leads,
        "created_at",
        problems,
        timezone,
    )
    event_leads = np.asarray(event_lead, dtype=int)
    event_frame = with_default_channels(
        _event_frame(events, event_where, event_leads, problems, timezone)
    )
    first_event = event_frame.groupby("customer_id", observed=True)["ts"].min()
    if not first_event.empty:
        created = created.fillna(customer_frame["customer_id"].map(first_event))
    created = created.fillna(now)
    customer_frame["created_at"] = created
    _check_times(
        customer_frame, event_frame, (lead_where, event_where), event_leads, now, problems, timezone
    )
    keep = [record_key(i) for i in range(len(records)) if i not in problems]
    return RecordTables(
        customer_frame[customer_frame["customer_id"].isin(keep)].reset_index(drop=True),
        event_frame[event_frame["customer_id"].isin(keep)].reset_index(drop=True),
        problems,
    )


def _unknown_event_type(where: str, kind: object, known: frozenset[str]) -> str:
    return (
        f"{where}.event_type: {kind!r} is not a known event type. Known: "
        f"{', '.join(sorted(known))}. Send one of these (the canonical types, see "
        "docs/reference.md), or start the service with LEADSCORE_UNKNOWN_EVENT_TYPES=accept "
        "to count others as activity"
    )


def _event_frame(
    events: list[dict],
    where: list[str],
    leads: np.ndarray,
    problems: dict[int, str],
    timezone: str,
) -> pd.DataFrame:
    raw = pd.DataFrame(events, columns=column_names("events"))
    frame = {"customer_id": raw["customer_id"].astype("object")}
    for column in EVENTS.columns[1:]:
        frame[column.name] = _parsed(
            raw[column.name], column.kind, where, leads, column.name, problems, timezone
        )
    return pd.DataFrame(frame)


def _parsed(
    values: pd.Series,
    kind: ColumnKind,
    where: list[str],
    leads: np.ndarray,
    name: str,
    problems: dict[int, str],
    timezone: str,
) -> pd.Series:
    parsed, failed = parse_posted(values, kind, timezone=timezone)
    fix = POSTED_TIMESTAMP_FIX if kind == "timestamp" else PARSE_FIXES[kind]
    for row in np.flatnonzero(failed.to_numpy()):
        problems.setdefault(
            int(leads[row]),
            f"{where[row]}.{name}: {_shown(values.iat[row])} cannot be read as {kind}; {fix}",
        )
    return parsed


def _check_times(
    customers: pd.DataFrame,
    events: pd.DataFrame,
    wheres: tuple[list[str], list[str]],
    leads: np.ndarray,
    now: pd.Timestamp,
    problems: dict[int, str],
    timezone: str,
) -> None:
    lead_where, event_where = wheres
    latest = now + FUTURE_SKEW
    message, fix = EXPLANATIONS["not_in_future"][0], posted_future_fix(timezone)
    for row in np.flatnonzero((events["ts"] > latest).fillna(False).to_numpy()):
        value = events["ts"].iat[row]
        problems.setdefault(
            int(leads[row]), f"{event_where[row]}.ts: {value} {message} (now is {now}); {fix}"
        )
    for row in np.flatnonzero((customers["created_at"] > latest).to_numpy()):
        value = customers["created_at"].iat[row]
        problems.setdefault(
            row, f"{lead_where[row]}.created_at: {value} {message} (now is {now}); {fix}"
        )
    created = events["customer_id"].map(customers.set_index("customer_id")["created_at"])
    early = (events["ts"] < created - CREATED_AT_TOLERANCE).fillna(False).to_numpy()
    for row in np.flatnonzero(early):
        problems.setdefault(
            int(leads[row]),
            f"{event_where[row]}.ts: {events['ts'].iat[row]} lies before the lead's created_at "
            f"({created.iat[row]}) by more than {CREATED_AT_TOLERANCE.days} day; send the "
            "lead's real created_at, or leave it out (the first event's time is taken then)",
        )


def _shown(value: object) -> str:
    """A refused value as a message quotes it: never more than 40 characters of it."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}...' ({len(str(value)):,} characters)"


def information(record: Mapping) -> int:
    """How much a record tells of its lead: its profile values that are not empty, and its
    events. Display fields (a name, a phone number) say whom to call, nothing of whether
    the lead buys: a record of them alone tells the models nothing."""
    profile = record.get("profile") or {}
    given = sum(
        1
        for key, value in profile.items()
        if value is not None and value != "" and key not in DISPLAY_COLUMNS
    )
    return given + len(record.get("events") or ())
