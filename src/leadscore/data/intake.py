"""Items posted to the intake (``POST /events``, ``POST /leads``) as canonical rows, checked
by the rules files are checked by; every problem names its item and field
(``events[3].ts``) and what to send instead.

A batch is all or nothing: the caller gets every problem at once and sends the batch
again, fixed; a retried batch adds nothing twice (see ``leadscore.store.keys``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.data.bounds import (
    MAX_BATCH_PROFILE_FIELDS,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROFILE_FIELDS,
    MAX_TEXT_LENGTH,
)
from leadscore.data.parsing import PARSE_FIXES, parse_posted
from leadscore.data.records import POSTED_TIMESTAMP_FIX, RECORD_TIMEZONE
from leadscore.data.tables import EVENTS, ColumnKind, with_default_channels
from leadscore.data.validation import EXPLANATIONS, FUTURE_SKEW, posted_future_fix

_EMPTY = {
    "string": "object",
    "category": "object",
    "float": "float64",
    "bool": "object",
    "timestamp": "datetime64[us, UTC]",
    "int": "float64",
}
# categories are read as text: the store keeps text, and a batch's few values need no codes
EVENT_FIELDS: dict[str, ColumnKind] = {
    "event_id": "string",
    **{c.name: "string" if c.kind == "category" else c.kind for c in EVENTS.columns},
}
LEAD_FIELDS: dict[str, ColumnKind] = {
    "customer_id": "string",
    "created_at": "timestamp",
    "converted": "bool",
}


@dataclass(frozen=True)
class Intake:
    """Rows of a batch in canonical columns, and every problem found (none: all good)."""

    rows: pd.DataFrame
    problems: list[str]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}...'"


def _parsed_columns(
    items: Sequence[Mapping],
    fields: Mapping[str, ColumnKind],
    name: str,
    problems: list[str],
    timezone: str,
) -> pd.DataFrame:
    raw = pd.DataFrame(list(items), columns=list(fields)).astype("object")
    frame = {}
    for column, kind in fields.items():
        if raw[column].isna().all():  # left out of every item: nothing to read
            frame[column] = pd.Series(np.nan, index=raw.index, dtype=_EMPTY[kind])
            continue
        parsed, failed = parse_posted(raw[column], kind, timezone=timezone)
        fix = POSTED_TIMESTAMP_FIX if kind == "timestamp" else PARSE_FIXES[kind]
        for row in np.flatnonzero(failed.to_numpy()):
            problems.append(
                f"{name}[{row}].{column}: {_shown(raw[column].iat[row])} cannot be read as "
                f"{kind}; {fix}"
            )
        frame[column] = parsed
    return pd.DataFrame(frame)


def _unknown_fields(
    items: Sequence[Mapping], allowed: set[str], name: str, problems: list[str]
) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(f'{name}[{i}]: not an object; send {{"customer_id": ...}}')
            continue
        for key in item:
            if key not in allowed:
                problems.append(
                    f"{name}[{i}].{key}: not a field of {name} (they have "
                    f"{', '.join(sorted(allowed))}); leave it out"
                )


def _id_shapes(
    items: Sequence[Mapping], fields: Sequence[str], name: str, problems: list[str]
) -> None:
    """Ids as a CRM sends them: text or whole numbers (read as text). An object, a list or a
    boolean is no id (it was stored as its Python text), nor is empty text."""
    for i, item in enumerate(items):
        for field in fields:
            value = item.get(field)
            if isinstance(value, Mapping | list | bool):
                problems.append(
                    f"{name}[{i}].{field}: {_shown(value)} is not an id; send text or a number"
                )
            elif isinstance(value, str) and not value.strip():
                problems.append(f"{name}[{i}].{field}: empty; send the id, or leave it out")


def _required(frame: pd.DataFrame, columns: Sequence[str], name: str, problems: list[str]) -> None:
    for column in columns:
        for row in np.flatnonzero(frame[column].isna().to_numpy()):
            problems.append(f"{name}[{row}].{column}: missing; every item needs it")


def _ids(
    frame: pd.DataFrame,
    column: str,
    name: str,
    problems: list[str],
    *,
    longest: int = MAX_ID_LENGTH,
) -> None:
    long = frame[column].astype("object").map(lambda v: isinstance(v, str) and len(v) > longest)
    why = "the store keeps ids and types that long" if longest == MAX_ID_LENGTH else "the bound"
    for row in np.flatnonzero(long.to_numpy(dtype=bool)):
        problems.append(
            f"{name}[{row}].{column}: longer than {longest} characters ({why}); send a shorter one"
        )


def _not_in_future(
    frame: pd.DataFrame,
    column: str,
    name: str,
    now: pd.Timestamp,
    problems: list[str],
    timezone: str,
) -> None:
    message, fix = EXPLANATIONS["not_in_future"][0], posted_future_fix(timezone)
    late = (frame[column] > now + FUTURE_SKEW).fillna(False).to_numpy(dtype=bool)
    for row in np.flatnonzero(late):
        problems.append(
            f"{name}[{row}].{column}: {frame[column].iat[row]} {message} (now is {now}); {fix}"
        )


def event_intake(
    items: Sequence[Mapping],
    *,
    now: pd.Timestamp,
    event_types: frozenset[str] | None,
    timezone: str = RECORD_TIMEZONE,
) -> Intake:
    """Posted events as canonical rows (with ``event_id`` where sent). ``event_types``:
    the types accepted (None: any); ``timezone``: the zone a time without an offset is
    read in (see ``leadscore.data.parsing.posted_timestamps``)."""
    problems: list[str] = []
    _unknown_fields(items, set(EVENT_FIELDS), "events", problems)
    if problems:
        return Intake(pd.DataFrame(), problems)
    _id_shapes(
        items, ("customer_id", "event_id", "event_type", "channel", "offer_id"), "events", problems
    )
    frame = _parsed_columns(items, EVENT_FIELDS, "events", problems, timezone)
    _required(frame, ["customer_id", "ts", "event_type"], "events", problems)
    for column in ("customer_id", "event_type", "channel", "offer_id"):
        _ids(frame, column, "events", problems)
    for column in ("campaign", "event_id"):
        _ids(frame, column, "events", problems, longest=MAX_NAME_LENGTH)
    _not_in_future(frame, "ts", "events", now, problems, timezone)
    if event_types is not None:
        kinds = frame["event_type"].astype("object")
        for row in np.flatnonzero((kinds.notna() & ~kinds.isin(event_types)).to_numpy()):
            problems.append(
                f"events[{row}].event_type: {_shown(kinds.iat[row])} is not a known event "
                f"type (known: {', '.join(sorted(event_types))}); send one of these, or start "
                "the service with LEADSCORE_UNKNOWN_EVENT_TYPES=accept"
            )
    frame["customer_id"] = frame["customer_id"].astype("object")
    return Intake(with_default_channels(frame), problems)


def lead_intake(
    items: Sequence[Mapping], *, now: pd.Timestamp, timezone: str = RECORD_TIMEZONE
) -> Intake:
    """Posted leads as canonical customer rows, their ``profile`` objects as columns (left
    as sent: text, numbers or booleans). A lead without ``created_at`` came in now;
    ``timezone`` as ``event_intake``'s."""
    problems: list[str] = []
    _unknown_fields(items, {*LEAD_FIELDS, "profile"}, "leads", problems)
    if problems:
        return Intake(pd.DataFrame(), problems)
    _id_shapes(items, ("customer_id",), "leads", problems)
    frame = _parsed_columns(items, LEAD_FIELDS, "leads", problems, timezone)
    _required(frame, ["customer_id"], "leads", problems)
    _ids(frame, "customer_id", "leads", problems)
    _not_in_future(frame, "created_at", "leads", now, problems, timezone)
    frame["created_at"] = frame["created_at"].fillna(now)
    profiles = [_profile(item.get("profile"), i, problems) for i, item in enumerate(items)]
    fields = set().union(*profiles)
    if len(fields) > MAX_BATCH_PROFILE_FIELDS:
        problems.append(
            f"leads: {len(fields):,} different profile fields in one batch; at most "
            f"{MAX_BATCH_PROFILE_FIELDS:,}. Send the leads in smaller batches, or fewer fields"
        )
    if problems:  # nothing of the batch is stored: its columns need not be built
        return Intake(pd.DataFrame(), problems)
    attributes = pd.DataFrame(profiles, index=frame.index)
    attributes = attributes.drop(columns=[c for c in attributes if c in frame], errors="ignore")
    rows = pd.concat([frame, attributes], axis=1)
    rows["customer_id"] = rows["customer_id"].astype("object")
    if "converted" in rows and rows["converted"].isna().all():
        rows = rows.drop(columns="converted")
    return Intake(rows, problems)


def _profile(profile: object, i: int, problems: list[str]) -> dict:
    """One lead's profile as sent, or {} with its problems where it breaks the bounds of
    ``leadscore.data.bounds`` (the same as ``POST /score``'s). Its size is checked first:
    a profile of 25,000 keys is refused by its count, not read key by key."""
    where = f"leads[{i}].profile"
    if profile is None:
        return {}
    if not isinstance(profile, Mapping):
        problems.append(f'{where}: not an object; send {{"industry": ...}}')
        return {}
    if len(profile) > MAX_PROFILE_FIELDS:
        problems.append(
            f"{where}: {len(profile):,} fields; at most {MAX_PROFILE_FIELDS} a lead (the "
            "fields the models and the workspace read; leave the others in the CRM)"
        )
        return {}
    found = len(problems)
    for key, value in profile.items():
        if key in LEAD_FIELDS or key == "profile":
            problems.append(f"{where}.{key}: a field of the lead itself; move it up")
        elif not key or len(key) > MAX_NAME_LENGTH:
            problems.append(
                f"{where}.{_shown(key)}: a field's name has 1 to {MAX_NAME_LENGTH} characters"
            )
        elif isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            problems.append(
                f"{where}.{key}: {len(value):,} characters; at most {MAX_TEXT_LENGTH:,} a value"
            )
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where}.{key}: {value} is no number; send a finite one or null")
        elif value is not None and not isinstance(value, str | int | float | bool):
            problems.append(
                f"{where}.{key}: {_shown(value)} is not text, a number or a boolean; send one "
                "of these"
            )
    return dict(profile) if len(problems) == found else {}
