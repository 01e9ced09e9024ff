"""The document's webhooks: every alert type and every CRM write, with the body sent and
every reference resolved among the components."""

from __future__ import annotations

import json

from leadscore.decisions.alert_payloads import PAYLOADS
from leadscore.serving.openapi_webhooks import webhooks


def test_every_alert_type_and_crm_write_is_described_with_its_body() -> None:
    schemas: dict = {"Reason": {"type": "object", "title": "the /score reason"}}
    found = webhooks(schemas)
    assert set(PAYLOADS) | {
        "crm.hubspot.batch_update",
        "crm.salesforce.composite_sobjects",
        "crm.dynamics.predictivescore",
    } == set(found)
    operations = [o for item in found.values() for o in item.values()]
    ids = [o["operationId"] for o in operations]
    assert len(set(ids)) == len(ids)
    grade = found["lead.grade_reached"]["post"]
    headers = {p["name"] for p in grade["parameters"] if p["in"] == "header"}
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= headers
    assert {"2XX", "410", "429"} <= set(grade["responses"])
    refs = {r.split('"', 1)[0] for r in json.dumps(found).split("#/components/schemas/")[1:]}
    text = json.dumps(schemas)
    assert refs <= set(schemas)
    assert all(r.startswith("Alert") for r in refs)
    assert schemas["Reason"] == {"type": "object", "title": "the /score reason"}  # kept apart
    assert "lead.event" in text and "campaign" in text
    assert set(found["crm.salesforce.composite_sobjects"]) == {"patch"}
    assert found["crm.hubspot.batch_update"]["post"]["requestBody"]["required"]
