"""The OpenAPI document: BentoML's made leadscore's, without a server."""

from __future__ import annotations

import json

from leadscore.serving.openapi import leadscore_document

RAW = {
    "openapi": "3.0.2",
    "info": {"title": "leadscore", "version": "None", "contact": {"name": "BentoML Team"}},
    "paths": {
        "/score": {
            "post": {
                "responses": {200: {"description": "ok"}, "404": {"description": "Not Found"}},
                "requestBody": {"content": {"application/json": {"schema": {}}}},
            }
        },
        "/readyz": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "schemas": {
            "NotFound": {},
            "Lead": {"properties": {"profile": {"anyOf": [{"type": "object"}, {"type": "null"}]}}},
        }
    },
}


def test_the_document_is_leadscores_with_keys_errors_and_the_champions_profile() -> None:
    doc = leadscore_document(
        RAW,
        version="0.1.0",
        max_batch=1000,
        max_body=4096,
        profile={"industry": ["retail", "software"], "employees": "number", "account_id": "any"},
    )
    assert doc["info"]["version"] == "0.1.0" and "contact" not in doc["info"]
    assert "BentoML" not in json.dumps(doc["info"]) and "4,096 bytes" in doc["info"]["description"]
    score = doc["paths"]["/score"]["post"]
    assert score["security"] == [{"bearer": []}] and score["requestBody"]["required"]
    assert "404" not in score["responses"] and {"200", "401", "413", "415"} <= set(
        score["responses"]
    )
    assert "NotFound" not in doc["components"]["schemas"]
    items = score["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    kinds = [i["$ref"].rsplit("/", 1)[1] for i in items["anyOf"]]
    assert kinds == ["LeadResult", "LeadError", "LeadNotScored"]
    assert all(kind in doc["components"]["schemas"] for kind in kinds[1:])
    assert doc["paths"]["/model-status"]["get"]["responses"]["200"]
    assert {"/", "/docs", "/docs.json"} <= set(doc["paths"])
    profile = doc["components"]["schemas"]["Lead"]["properties"]["profile"]["anyOf"][0]
    assert profile["additionalProperties"] is False
    assert profile["properties"]["industry"]["anyOf"][0]["enum"] == ["retail", "software"]
    assert profile["properties"]["employees"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert RAW["info"]["version"] == "None"  # what it was given is left as it was


def test_the_document_is_openapi_3_1_with_an_id_and_security_on_every_operation() -> None:
    doc = leadscore_document(
        RAW, version="0.1.0", max_batch=10, max_body=4096, event_types={"page_view", "webinar"}
    )
    assert doc["openapi"] == "3.1.0"
    operations = [(p, m, o) for p, ops in doc["paths"].items() for m, o in ops.items()]
    ids = [o["operationId"] for _, _, o in operations]
    assert len(ids) == len(set(ids)) and all(ids)
    assert "leadscore__score" not in ids and "scoreLeads" in ids
    protected = {p for p, _, o in operations if o["security"] == [{"bearer": []}]}
    assert protected == {
        "/score",
        "/events",
        "/leads",
        "/leads/{customer_id}",
        "/leads/{customer_id}/history",
        "/scores",
    }
    assert all(o["security"] == [] for p, _, o in operations if p not in protected)
    for path in ("/leads/{customer_id}", "/leads/{customer_id}/history"):
        [lead_id] = [p for p in doc["paths"][path]["get"]["parameters"] if p["in"] == "path"]
        assert lead_id["schema"]["maxLength"] == 64
    intake = doc["components"]["schemas"]["IntakeEvent"]["properties"]
    assert intake["event_type"]["enum"] == ["page_view", "webinar"]
    assert intake["customer_id"]["maxLength"] == 64
    feed = doc["components"]["schemas"]["ScoresPage"]["properties"]
    assert {"scores", "next_cursor", "has_more"} <= set(feed)
    assert "percentile" in doc["info"]["description"]
    hooks = [o for item in doc["webhooks"].values() for o in item.values()]
    assert {"lead.grade_reached", "crm.hubspot.batch_update"} <= set(doc["webhooks"])
    every = ids + [o["operationId"] for o in hooks]
    assert len(every) == len(set(every))


def test_without_a_list_of_event_types_any_type_is_documented() -> None:
    doc = leadscore_document(RAW, version="0.1.0", max_batch=10, max_body=4096)
    assert "enum" not in doc["components"]["schemas"]["IntakeEvent"]["properties"]["event_type"]
