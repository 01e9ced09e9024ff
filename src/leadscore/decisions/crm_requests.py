"""What is sent to each CRM and what its answer means, record by record (no I/O).

A batch's answer is either a ``Refusal`` (nothing was written: the whole batch is tried
again later, after ``Retry-After`` where the CRM gave one; a 401 means the token expired)
or one ``Outcome`` per record: ``sent``, ``retry`` (refused for a passing reason: a row
locked, a limit) or ``dead`` (refused for good: the record does not exist, a value the
field cannot hold), as the vendor reports partial failures:

- HubSpot's batch update answers 200, or 207 Multi-Status whose ``errors`` name the
  failed inputs' ids in ``context.ids``;
- Salesforce's sObject Collections answer 200 with one SaveResult (``id``, ``success``,
  ``errors`` with a ``statusCode``) per record, in the order sent;
- Dynamics 365 answers each upsert (PATCH) on its own: 204 (or 200/201) written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from leadscore.common.time import (  # UTC, ms, Z: what all three CRMs read
    iso_utc,
    retry_after_seconds,
)
from leadscore.decisions.crm import Dynamics, HubSpot, Salesforce

# msdyn_predictivescore's choices: msdyn_grade 0-3 for grades A-D, msdyn_scoretrend 0-3
# for Improving, Steady, Declining, Not enough info (leadscore's trend directions)
DYNAMICS_GRADE = {"A": 0, "B": 1, "C": 2, "D": 3}
DYNAMICS_TREND = {"improving": 0, "steady": 1, "declining": 2, "not_enough_history": 3}
# Salesforce statusCodes of a record refused for a passing reason (tried again later)
SALESFORCE_PASSING = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
    }
)
# HubSpot error categories of inputs refused for a passing reason
HUBSPOT_PASSING = frozenset({"RATE_LIMITS", "LOCKED", "TOO_MANY_REQUESTS"})
# a fixed namespace: the same org, table and record always get the same row key
DYNAMICS_NAMESPACE = uuid.UUID("6f1d3c0e-5a57-4b8e-9d1e-2f0c1a6b7e42")
PASSING_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class CrmRecord:
    """One lead's newest score, as a CRM record is written from it."""

    customer_id: str
    seq: int  # the score log's entry
    record_id: str  # the CRM's id of the record (or the id property's value)
    score: int
    grade: str
    probability: float
    trend: str  # improving, steady, declining or not_enough_history
    scored_at: pd.Timestamp
    model_version: str

    def value(self, name: str) -> object:
        if name == "scored_at":
            return iso_utc(self.scored_at)
        if name == "probability":
            return round(float(self.probability), 6)
        return getattr(self, name)


@dataclass(frozen=True)
class Outcome:
    customer_id: str
    seq: int
    state: Literal["sent", "retry", "dead"]
    error: str | None = None


@dataclass(frozen=True)
class Refusal:
    """The whole batch refused: nothing was written."""

    error: str
    retry_after: float | None = None  # seconds, where the CRM said (Retry-After)
    expired_token: bool = False


def refusal(status: int, headers: Mapping[str, str], text: str) -> Refusal:
    """A whole batch's refusal from its status (any but the vendor's success)."""
    wait = retry_after_seconds(headers.get("retry-after") or headers.get("Retry-After"))
    return Refusal(f"HTTP {status}: {text[:300]}", wait, expired_token=status == 401)


def sent(records: Sequence[CrmRecord]) -> list[Outcome]:
    return [Outcome(r.customer_id, r.seq, "sent") for r in records]


# --- HubSpot: POST /crm/v3/objects/{object_type}/batch/update --------------------------


def hubspot_path(destination: HubSpot) -> str:
    return f"/crm/v3/objects/{destination.object_type}/batch/update"


def hubspot_body(destination: HubSpot, records: Sequence[CrmRecord]) -> dict:
    """The batch update's body: property values are strings, as HubSpot keeps them."""
    inputs = []
    for record in records:
        item: dict = {
            "id": record.record_id,
            "properties": {
                field: str(record.value(value)) for value, field in destination.fields.items()
            },
        }
        if destination.id_property is not None:
            item["idProperty"] = destination.id_property
        inputs.append(item)
    return {"inputs": inputs}


def hubspot_outcomes(
    destination: HubSpot, records: Sequence[CrmRecord], status: int, answer: object
) -> list[Outcome]:
    """The records' outcomes from a 200 or 207 answer."""
    if status == 200:
        return sent(records)
    errors = answer.get("errors", []) if isinstance(answer, dict) else []
    failed: dict[str, tuple[str, str]] = {}
    unnamed = False
    for error in errors:
        ids = (error.get("context") or {}).get("ids") or []
        if not ids:
            unnamed = True
        category = str(error.get("category", ""))
        state = "retry" if category in HUBSPOT_PASSING else "dead"
        for id_ in ids:
            failed[str(id_)] = (state, f"{category}: {error.get('message', '')}"[:500])
    # an error that names no input leaves every input not confirmed in doubt: retried
    # (a write of the same values again is harmless; a write lost is not)
    confirmed = (
        {str(r.get("id")) for r in answer.get("results", [])} if isinstance(answer, dict) else set()
    )
    out = []
    for record in records:
        if record.record_id in failed:
            state, message = failed[record.record_id]
            out.append(Outcome(record.customer_id, record.seq, state, message))  # type: ignore[arg-type]
        elif unnamed and (destination.id_property is not None or record.record_id not in confirmed):
            out.append(Outcome(record.customer_id, record.seq, "retry", "HTTP 207: not confirmed"))
        else:
            out.append(Outcome(record.customer_id, record.seq, "sent"))
    return out


# --- Salesforce: PATCH /services/data/vXX.X/composite/sobjects --------------------------


def salesforce_path(destination: Salesforce) -> str:
    return f"/services/data/{destination.api_version}/composite/sobjects"


def salesforce_body(destination: Salesforce, records: Sequence[CrmRecord]) -> dict:
    return {
        "allOrNone": False,  # one record refused does not roll back the others
        "records": [
            {
                "attributes": {"type": destination.sobject},
                "id": record.record_id,
                **{field: record.value(value) for value, field in destination.fields.items()},
            }
            for record in records
        ],
    }


def salesforce_outcomes(records: Sequence[CrmRecord], answer: object) -> list[Outcome]:
    """The records' outcomes from a 200 answer: one SaveResult per record, in order."""
    if not isinstance(answer, list) or len(answer) != len(records):
        # an answer that does not say which records were written: all of them retried
        return [
            Outcome(r.customer_id, r.seq, "retry", "Salesforce answered without a result each")
            for r in records
        ]
    out = []
    for record, result in zip(records, answer, strict=True):
        if result.get("success"):
            out.append(Outcome(record.customer_id, record.seq, "sent"))
            continue
        errors = result.get("errors") or [{}]
        codes = [str(e.get("statusCode", "")) for e in errors]
        state = "retry" if all(c in SALESFORCE_PASSING for c in codes) else "dead"
        message = "; ".join(f"{e.get('statusCode')}: {e.get('message', '')}" for e in errors)
        out.append(Outcome(record.customer_id, record.seq, state, message[:500]))
    return out


# --- Dynamics 365: PATCH /api/data/v9.2/msdyn_predictivescores(<key>) ---------------------


def dynamics_key(destination: Dynamics, record_id: str) -> str:
    """The msdyn_predictivescoreid of a record's score row: a PATCH to a key Dataverse does
    not hold creates the row (an upsert), so the key is derived, never looked up."""
    org = str(destination.org_url).rstrip("/").lower()
    return str(uuid.uuid5(DYNAMICS_NAMESPACE, f"{org}|{destination.entity_type}|{record_id}"))


def dynamics_path(destination: Dynamics, record: CrmRecord) -> str:
    key = dynamics_key(destination, record.record_id)
    return f"/api/data/{destination.api_version}/msdyn_predictivescores({key})"


def dynamics_body(destination: Dynamics, record: CrmRecord) -> dict:
    """The score row's columns; a ValueError where a grade or trend has no choice."""
    if record.grade not in DYNAMICS_GRADE:
        raise ValueError(f"grade {record.grade!r} has no msdyn_grade choice (A-D)")
    if record.trend not in DYNAMICS_TREND:
        raise ValueError(f"trend {record.trend!r} has no msdyn_scoretrend choice")
    return {
        "msdyn_entityid": record.record_id,
        "msdyn_entitytype": destination.entity_type,
        "msdyn_name": f"leadscore {record.customer_id}"[:128],
        "msdyn_score": int(record.score),
        "msdyn_grade": DYNAMICS_GRADE[record.grade],
        "msdyn_scoretrend": DYNAMICS_TREND[record.trend],
        "msdyn_scoredon": record.value("scored_at"),
    }


def dynamics_outcome(
    record: CrmRecord, status: int, headers: Mapping[str, str], text: str
) -> Outcome | Refusal:
    """One upsert's outcome; a Refusal where the answer stops the batch (a token expired,
    a limit, the service away, no permission: the records after it would fare the same)."""
    if status in (200, 201, 204):
        return Outcome(record.customer_id, record.seq, "sent")
    if status in PASSING_STATUS or status in (401, 403):
        return refusal(status, headers, text)
    return Outcome(record.customer_id, record.seq, "dead", f"HTTP {status}: {text[:300]}")
