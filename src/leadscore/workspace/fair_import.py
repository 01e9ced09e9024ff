"""A fair's badge scans into the store: each scan a ``trade_fair_visit`` event of the lead
with its e-mail (a new lead, its badge's details as its profile, where none has it), and
its booth note beside the event. For ``leadscore fair-import`` and the fair page's upload.

The booth note keeps the visitor's words: the note, the interest and whether they want a
call live in ``scan_notes`` (see ``store.fair_scans``); an interest that names an offer of
the catalog (its id or its name) is also the event's ``offer_id``, so that the scan counts
for that offer where features and the next-best offer read the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from leadscore.data.bounds import MAX_NAME_LENGTH
from leadscore.data.intake import Intake
from leadscore.data.scans import Rejected, Scan, ScanFile, scan_customer_id, scan_event_id
from leadscore.data.tables import EVENT_TYPES, TRADE_FAIR_VISIT
from leadscore.data.validation import ONE_DAY
from leadscore.store import schema
from leadscore.store.driver import chunks
from leadscore.store.fair_scans import put_scan_notes
from leadscore.store.intake import take_events
from leadscore.store.store import Store

# the badge's details a new lead's profile takes (display fields, never model features)
PROFILE_FIELDS = ("name", "company", "job_title", "email", "phone")


@dataclass(frozen=True)
class ImportResult:
    """What became of a file: rows read = scans taken + rows rejected; of the scans taken,
    ``repeated`` were imported before (nothing added twice), ``new_leads`` made leads."""

    fair: str
    read: int
    taken: int
    repeated: int
    new_leads: int
    rejected: list[Rejected] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # the events added


def checked_fair(name: str) -> str | None:
    """The fair's name trimmed, or None where it cannot be one (empty or too long)."""
    name = " ".join(name.split())
    return name if 0 < len(name) <= MAX_NAME_LENGTH else None


def import_scans(store: Store, scans: ScanFile, fair: str, *, now: pd.Timestamp) -> ImportResult:
    """Store the scans of ``scans`` as visits of ``fair`` (see the module's notes)."""
    known = _leads_by_email(store)
    rejected = list(scans.rejected)
    chosen: list[tuple[Scan, str]] = []
    for scan in scans.scans:
        customer_id = known.get(scan.email or "") or scan_customer_id(scan)
        chosen.append((scan, customer_id))
    known_ids = set(known.values())
    new = [(s, c) for s, c in chosen if c not in known_ids]
    held_ids = store.known([c for _, c in new])  # a name-only lead of an earlier import
    fresh: dict[str, Scan] = {}  # each new lead by its earliest scan
    for scan, customer_id in new:
        earlier = fresh.get(customer_id)
        if customer_id not in held_ids and (
            earlier is None or scan.scanned_at < earlier.scanned_at
        ):
            fresh[customer_id] = scan
    created = store.created_at(list(dict.fromkeys(c for _, c in chosen if c not in fresh)))
    kept = []
    for scan, customer_id in chosen:
        since = created.get(customer_id)
        if since is not None and scan.scanned_at < since - ONE_DAY:
            rejected.append(
                Rejected(
                    scan.row,
                    "scanned_at",
                    "scan_before_lead",
                    {"lead": customer_id, "day": f"{since:%Y-%m-%d}"},
                )
            )
            continue
        kept.append((scan, customer_id))
    # one person scanned twice in one minute (exports keep minutes) is one scan: the
    # last row's note counts, and the row is counted as repeated
    unique = {scan_event_id(fair, s, c): (s, c) for s, c in kept}
    doubled = len(kept) - len(unique)
    kept = list(unique.values())
    rejected.sort(key=lambda r: r.row)
    if fresh:
        store.put_customers(_new_leads(fresh), now=now)
    events = _events(store, kept, fair)
    keys = store.keys_of("events", events) if len(events) else np.array([], dtype=object)
    held = _held_keys(store, [str(k) for k in keys])
    added = events[[str(k) not in held for k in keys]].reset_index(drop=True)
    if len(added):
        taken = take_events(store, Intake(added, []), now=now)
        if taken.appended is None:  # the checks above leave none: a store that changed
            raise RuntimeError("; ".join(taken.problems))
    put_scan_notes(store, _notes(kept, keys, fair), now=now)
    return ImportResult(
        fair=fair,
        read=scans.read,
        taken=len(kept) + doubled,
        repeated=sum(str(k) in held for k in keys) + doubled,
        new_leads=len(fresh),
        rejected=rejected,
        unmapped=scans.unmapped,
        events=added,
    )


def _leads_by_email(store: Store) -> dict[str, str]:
    """The leads' ids by their profile's e-mail (lower case); the first lead of each."""
    customers = store.customers(fields=["email"])
    if "email" not in customers:
        return {}
    emails = customers["email"].astype("object")
    found = {}
    for customer_id, email in zip(customers["customer_id"], emails, strict=True):
        if isinstance(email, str) and email.strip():
            found.setdefault(email.strip().lower(), str(customer_id))
    return found


def _new_leads(fresh: dict[str, Scan]) -> pd.DataFrame:
    rows = []
    for customer_id, scan in fresh.items():
        profile = {f: getattr(scan, f) for f in PROFILE_FIELDS if getattr(scan, f)}
        rows.append({"customer_id": customer_id, "created_at": scan.scanned_at, **profile})
    frame = pd.DataFrame(rows)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _offer_ids(store: Store) -> dict[str, str]:
    """The catalog's offers by their id and their names, in lower case."""
    offers = store.offers()
    found: dict[str, str] = {}
    for row in offers.to_dict("records"):
        for key in ("offer_id", "name", "name_de", "name_en"):
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                found.setdefault(value.strip().lower(), str(row["offer_id"]))
    return found


def _events(store: Store, kept: list[tuple[Scan, str]], fair: str) -> pd.DataFrame:
    offers = _offer_ids(store) if any(s.interest for s, _ in kept) else {}
    return pd.DataFrame(
        {
            "customer_id": [c for _, c in kept],
            "ts": pd.Series([s.scanned_at for s, _ in kept], dtype="datetime64[us, UTC]"),
            "event_type": TRADE_FAIR_VISIT,
            "channel": EVENT_TYPES[TRADE_FAIR_VISIT].channel,
            "offer_id": pd.Series(
                [offers.get((s.interest or "").strip().lower()) for s, _ in kept], dtype="object"
            ),
            "value": np.nan,
            "campaign": fair,
            "event_id": [scan_event_id(fair, s, c) for s, c in kept],
        }
    )


def _held_keys(store: Store, keys: list[str]) -> set[str]:
    table = schema.events
    held: set[str] = set()
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(keys))):
            held |= set(
                connection.scalars(sa.select(table.c.row_key).where(table.c.row_key.in_(chunk)))
            )
    return held


def _notes(kept: list[tuple[Scan, str]], keys: np.ndarray, fair: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_key": [str(k) for k in keys],
            "customer_id": [c for _, c in kept],
            "fair": fair,
            "note": [s.note for s, _ in kept],
            "interest": [s.interest for s, _ in kept],
            "wants_call": [s.wants_call for s, _ in kept],
        }
    )
