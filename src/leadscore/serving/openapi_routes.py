"""The OpenAPI operations of the routes leadscore answers itself, outside BentoML: the
store's intake and history (``leadscore.serving.intake``) and the reads
(``leadscore.serving.reads``)."""

from __future__ import annotations

from leadscore.data.bounds import MAX_ID_LENGTH
from leadscore.serving.contract import (
    EventsTaken,
    History,
    IntakeEvent,
    IntakeLead,
    LeadNow,
    LeadsTaken,
    ScoresPage,
)
from leadscore.serving.intake import MAX_ITEMS
from leadscore.serving.reads import FEED_LIMIT, MAX_FEED_LIMIT

ERROR = {"$ref": "#/components/schemas/Error"}
BEARER = [{"bearer": []}]
CUSTOMER_ID = {
    "name": "customer_id",
    "in": "path",
    "required": True,
    "description": "the lead's id, escaped as a path segment (a '/' as %2F)",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
}


def schema_ref(model, schemas: dict) -> dict:
    """A reference to ``model``'s schema, added to ``schemas`` with those it uses."""
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in found.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, found)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _errors(max_body: int, *codes: str) -> dict:
    texts = {
        "400": f"The body is not JSON, or not {{key: [1 to {MAX_ITEMS:,} items]}}; or a "
        "query parameter is off (the error names it)",
        "401": "Missing or invalid API key",
        "404": "Not a customer in the store",
        "405": "Another method than the route's",
        "413": f"The body is larger than {max_body:,} bytes",
        "415": "The body is not application/json",
        "422": "Problems in the batch, each naming its item and field (detail, and "
        "problems as a list); nothing of the batch was stored",
        "503": "The service has no store, the store is away (Retry-After), or it is not ready yet",
    }
    return {
        c: {"description": texts[c], "content": {"application/json": {"schema": ERROR}}}
        for c in codes
    }


def store_routes(paths: dict, schemas: dict, *, max_body: int) -> None:
    """Intake (``POST /events``, ``POST /leads``) and a lead's score history."""

    def intake(key: str, item, answer, summary: str, operation_id: str) -> dict:
        body = {
            "type": "object",
            "required": [key],
            "additionalProperties": False,
            "properties": {
                key: {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ITEMS,
                    "items": schema_ref(item, schemas),
                }
            },
        }
        ok = {
            "description": "Taken in",
            "content": {"application/json": {"schema": schema_ref(answer, schemas)}},
        }
        return {
            "post": {
                "tags": ["Intake"],
                "operationId": operation_id,
                "summary": summary,
                "security": BEARER,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "200": ok,
                    **_errors(max_body, "400", "401", "413", "415", "422", "503"),
                },
            }
        }

    paths["/events"] = intake(
        "events", IntakeEvent, EventsTaken, "Take in events of known leads", "takeEvents"
    )
    paths["/leads"] = intake("leads", IntakeLead, LeadsTaken, "Add or update leads", "putLeads")
    history = {
        "description": "The lead's logged scores",
        "content": {"application/json": {"schema": schema_ref(History, schemas)}},
    }
    paths["/leads/{customer_id}/history"] = {
        "get": {
            "tags": ["Reads"],
            "operationId": "getLeadHistory",
            "summary": "The score log of one lead, newest first: one entry per change",
            "security": BEARER,
            "parameters": [
                CUSTOMER_ID,
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
                },
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "description": "the language of the reasons",
                    "schema": {"type": "string", "enum": ["de", "en"], "default": "en"},
                },
            ],
            "responses": {"200": history, **_errors(max_body, "400", "401", "404", "503")},
        }
    }


def read_routes(paths: dict, schemas: dict, *, max_body: int) -> None:
    """``GET /leads/{customer_id}`` and the feed ``GET /scores``: reads that write nothing."""
    lead = {
        "description": "The lead as stored, with its newest logged score",
        "content": {"application/json": {"schema": schema_ref(LeadNow, schemas)}},
    }
    paths["/leads/{customer_id}"] = {
        "get": {
            "tags": ["Reads"],
            "operationId": "getLead",
            "summary": "One lead: its profile, newest score, grade and trend",
            "security": BEARER,
            "parameters": [CUSTOMER_ID],
            "responses": {"200": lead, **_errors(max_body, "401", "404", "503")},
        }
    }
    page = {
        "description": "Scores that changed, oldest first, and the cursor after them",
        "content": {"application/json": {"schema": schema_ref(ScoresPage, schemas)}},
    }
    paths["/scores"] = {
        "get": {
            "tags": ["Reads"],
            "operationId": "listChangedScores",
            "summary": "The feed of changed scores, a page at a time",
            "description": "Each entry is a change of a lead's score or grade (the log "
            "holds only changes), in the order logged. Send `next_cursor` back as `cursor` "
            "for the next page, and keep the last one to poll later: each change comes "
            "once. `changed_since` starts at a moment instead of the beginning.",
            "security": BEARER,
            "parameters": [
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "the next_cursor of an earlier answer",
                    "schema": {"type": "string", "maxLength": 200},
                },
                {
                    "name": "changed_since",
                    "in": "query",
                    "required": False,
                    "description": "ISO 8601 with a time zone (not with cursor)",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_FEED_LIMIT,
                        "default": FEED_LIMIT,
                    },
                },
            ],
            "responses": {"200": page, **_errors(max_body, "400", "401", "503")},
        }
    }
