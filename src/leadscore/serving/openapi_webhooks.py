"""The OpenAPI document's ``webhooks``: what leadscore sends, not what it answers.

Two kinds: the alerts to the CRM's webhook endpoint (Standard Webhooks: signed headers
and a typed body per event type, from ``leadscore.decisions.alert_payloads``), and the
writes into the CRM records (``leadscore.decisions.crm_requests``: HubSpot's batch
update, Salesforce's sObject Collections, Dynamics 365's ``msdyn_predictivescore``), each
with the body it carries.
"""

from __future__ import annotations

from leadscore.decisions.alert_payloads import PAYLOADS
from leadscore.decisions.crm import HUBSPOT_BATCH, SALESFORCE_BATCH, VALUES

HEADERS = [
    ("webhook-id", "the alert's key: the same on every attempt (deduplicate by it)"),
    ("webhook-timestamp", "the attempt's moment, seconds since 1970 (refuse old ones)"),
    (
        "webhook-signature",
        "`v1,<base64>`: HMAC-SHA256 of `id.timestamp.body` under each `whsec_` secret, "
        "space-separated while a secret is rotated",
    ),
    ("webhook-attempt", "the attempt's number, 1 for the first"),
]
ALERT_ANSWERS = {
    "2XX": {"description": "Taken: the alert is delivered and not sent again"},
    "410": {"description": "Gone: the endpoint is disabled until `leadscore alerts enable`"},
    "429": {"description": "Sent again after the `Retry-After` it names (at most a day)"},
    "503": {"description": "Sent again after `Retry-After`, else by the retry schedule"},
}
WRITE_ANSWERS = {
    "200": {"description": "Written (per record, as the vendor reports partial failures)"},
    "401": {"description": "The token expired: a new one is fetched once, the batch resent"},
    "429": {"description": "The batch is sent again after the `Retry-After` it names"},
}
_VALUE = {"type": ["string", "number", "boolean", "null"]}


def webhooks(schemas: dict) -> dict:
    """Every request leadscore sends, by name."""
    out: dict = {}
    for kind, model in PAYLOADS.items():
        out[kind] = {
            "post": {
                "tags": ["Webhooks"],
                "operationId": "alert_" + kind.replace(".", "_"),
                "summary": f"An alert of type {kind} to the CRM's webhook endpoint",
                "description": "Sent from the outbox until a 2xx comes back, with back-off "
                "and jitter over days, then kept as a dead letter (`leadscore alerts`).",
                "security": [],
                "parameters": [
                    {
                        "name": n,
                        "in": "header",
                        "required": True,
                        "description": d,
                        "schema": {"type": "string"},
                    }
                    for n, d in HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _alert_schema(model, schemas)}},
                },
                "responses": ALERT_ANSWERS,
            }
        }
    out["crm.hubspot.batch_update"] = _write(
        "post",
        "HubSpot: POST /crm/v3/objects/{object_type}/batch/update, with a private app's "
        "token; the crm.yaml `fields` name the properties",
        {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "inputs": {
                    "type": "array",
                    "maxItems": HUBSPOT_BATCH,
                    "items": {
                        "type": "object",
                        "required": ["id", "properties"],
                        "properties": {
                            "id": {"type": "string"},
                            "idProperty": {"type": "string"},
                            "properties": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                }
            },
        },
    )
    out["crm.salesforce.composite_sobjects"] = _write(
        "patch",
        "Salesforce: PATCH /services/data/vXX.X/composite/sobjects (allOrNone false), with "
        "a token of the client credentials flow; the crm.yaml `fields` name the fields",
        {
            "type": "object",
            "required": ["allOrNone", "records"],
            "properties": {
                "allOrNone": {"const": False},
                "records": {
                    "type": "array",
                    "maxItems": SALESFORCE_BATCH,
                    "items": {
                        "type": "object",
                        "required": ["attributes", "id"],
                        "properties": {
                            "attributes": {
                                "type": "object",
                                "properties": {"type": {"type": "string"}},
                            },
                            "id": {"type": "string"},
                        },
                        "additionalProperties": _VALUE,
                    },
                },
            },
        },
    )
    out["crm.dynamics.predictivescore"] = _write(
        "patch",
        "Dynamics 365: PATCH /api/data/v9.2/msdyn_predictivescores(<key>), an upsert of the "
        "lead's score row, with an Entra ID token of the client credentials flow",
        {
            "type": "object",
            "required": ["msdyn_entityid", "msdyn_entitytype", "msdyn_score", "msdyn_grade"],
            "properties": {
                "msdyn_entityid": {"type": "string"},
                "msdyn_entitytype": {"type": "string"},
                "msdyn_name": {"type": "string"},
                "msdyn_score": {"type": "integer", "minimum": 0, "maximum": 100},
                "msdyn_grade": {"enum": [0, 1, 2, 3], "description": "grades A to D"},
                "msdyn_scoretrend": {
                    "enum": [0, 1, 2, 3],
                    "description": "improving, steady, declining, not enough history",
                },
                "msdyn_scoredon": {"type": "string", "format": "date-time"},
            },
        },
    )
    return out


def _alert_schema(model, schemas: dict) -> dict:
    """A reference to an alert payload's schema; its parts named ``Alert...`` in the
    components (an alert's Reason and Trend are not /score's)."""
    found = model.model_json_schema(ref_template="#/components/schemas/Alert{model}")
    for name, definition in found.pop("$defs", {}).items():
        schemas.setdefault(f"Alert{name}", definition)
    schemas.setdefault(f"Alert{model.__name__}", found)
    return {"$ref": f"#/components/schemas/Alert{model.__name__}"}


def _write(method: str, description: str, body: dict) -> dict:
    name = description.split(":", 1)[0].lower().replace(" ", "")
    return {
        method: {
            "tags": ["Webhooks"],
            "operationId": f"write_{name}",
            "summary": f"Scores into the CRM record ({description.split(':', 1)[0]})",
            "description": description + ". Values that can go: " + ", ".join(VALUES) + ".",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": WRITE_ANSWERS,
        }
    }
