"""The vendors' requests and what their answers mean record by record, without I/O."""

from __future__ import annotations

import pandas as pd
import pytest

from leadscore.decisions import crm_requests as vendor
from leadscore.decisions.crm import Dynamics, HubSpot, Salesforce
from leadscore.scoring.trend import NOT_ENOUGH_HISTORY, direction

AT = pd.Timestamp("2026-12-01 09:00:00.123456", tz="UTC")
HUBSPOT = HubSpot(
    kind="hubspot",
    name="hs",
    id_property="leadscore_id",
    fields={"score": "ls_score", "probability": "ls_p", "scored_at": "ls_at"},
)
SALESFORCE = Salesforce(
    kind="salesforce",
    name="sf",
    sobject="Contact",
    fields={"score": "Score__c", "trend": "Trend__c"},
)
DYNAMICS = Dynamics(
    kind="dynamics", name="d", org_url="https://acme.crm.dynamics.com", tenant_id="t"
)


def _record(customer: str, seq: int, grade: str = "A", trend: str = "steady") -> vendor.CrmRecord:
    return vendor.CrmRecord(
        customer, seq, f"id-{customer}", 71, grade, 0.7123456789, trend, AT, "4"
    )


def test_hubspot_inputs_carry_strings_and_the_id_property() -> None:
    body = vendor.hubspot_body(HUBSPOT, [_record("C-1", 1)])
    assert body == {
        "inputs": [
            {
                "id": "id-C-1",
                "idProperty": "leadscore_id",
                "properties": {
                    "ls_score": "71",
                    "ls_p": "0.712346",
                    "ls_at": "2026-12-01T09:00:00.123Z",
                },
            }
        ]
    }
    assert vendor.hubspot_path(HUBSPOT) == "/crm/v3/objects/contacts/batch/update"


def test_a_hubspot_207_fails_only_the_inputs_its_errors_name() -> None:
    records = [_record("C-1", 1), _record("C-2", 2), _record("C-3", 3)]
    answer = {
        "results": [{"id": "77"}],
        "errors": [
            {"category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["id-C-2"]}},
            {"category": "RATE_LIMITS", "message": "later", "context": {"ids": ["id-C-3"]}},
        ],
    }
    states = [o.state for o in vendor.hubspot_outcomes(HUBSPOT, records, 207, answer)]
    assert states == ["sent", "dead", "retry"]
    # an error that names no input leaves every unconfirmed input to be retried
    unnamed = {"results": [], "errors": [{"category": "X", "message": "?"}]}
    states = [o.state for o in vendor.hubspot_outcomes(HUBSPOT, records, 207, unnamed)]
    assert states == ["retry", "retry", "retry"]


def test_salesforce_records_and_their_save_results_in_order() -> None:
    records = [_record("C-1", 1), _record("C-2", 2)]
    body = vendor.salesforce_body(SALESFORCE, records)
    assert body["allOrNone"] is False
    assert body["records"][0] == {
        "attributes": {"type": "Contact"},
        "id": "id-C-1",
        "Score__c": 71,
        "Trend__c": "steady",
    }
    answer = [
        {"id": "id-C-1", "success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW"}]},
        {"id": "id-C-2", "success": False, "errors": [{"statusCode": "INVALID_FIELD"}]},
    ]
    assert [o.state for o in vendor.salesforce_outcomes(records, answer)] == ["retry", "dead"]
    assert [o.state for o in vendor.salesforce_outcomes(records, [])] == ["retry", "retry"]


def test_dynamics_rows_are_keyed_by_org_table_and_record() -> None:
    one, again = _record("C-1", 1), _record("C-1", 9, grade="D", trend="declining")
    assert vendor.dynamics_path(DYNAMICS, one) == vendor.dynamics_path(DYNAMICS, again)
    other = DYNAMICS.model_copy(update={"entity_type": "opportunity"})
    assert vendor.dynamics_key(other, "id-C-1") != vendor.dynamics_key(DYNAMICS, "id-C-1")
    body = vendor.dynamics_body(DYNAMICS, again)
    assert (body["msdyn_grade"], body["msdyn_scoretrend"], body["msdyn_entitytype"]) == (
        3,
        2,
        "lead",
    )
    with pytest.raises(ValueError, match="msdyn_grade"):
        vendor.dynamics_body(DYNAMICS, _record("C-1", 1, grade="E"))
    assert vendor.dynamics_outcome(one, 404, {}, "no").state == "dead"
    refused = vendor.dynamics_outcome(one, 401, {}, "expired")
    assert isinstance(refused, vendor.Refusal) and refused.expired_token


def test_every_trend_leadscore_says_has_its_dynamics_choice() -> None:
    said = {direction(d) for d in range(-10, 11)} | {NOT_ENOUGH_HISTORY}
    assert said == set(vendor.DYNAMICS_TREND)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = pd.Timestamp("2026-12-01 09:00", tz="UTC")
    assert vendor.retry_after_seconds("120") == 120.0
    assert vendor.retry_after_seconds("Tue, 01 Dec 2026 09:01:30 GMT", now) == 90.0
    assert vendor.retry_after_seconds("soon") is None
    assert vendor.refusal(429, {"Retry-After": "7"}, "slow down").retry_after == 7.0
