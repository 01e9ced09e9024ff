"""The service's OpenAPI document: BentoML's, made leadscore's and complete.

BentoML writes the request and response schemas from the API's annotations; this adds
what it leaves out or gets wrong for leadscore: the title, version and description, the
bearer scheme and 401 on the protected route, the routes leadscore adds (/model-status),
the one error shape every route answers with, the limits the server enforces before
reading a body, and the profile fields and categories the champion reads.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping

from leadscore.serving.contract import LeadError, LeadNotScored
from leadscore.serving.openapi_routes import BEARER, ERROR, read_routes, store_routes
from leadscore.serving.openapi_webhooks import webhooks

OPENAPI_VERSION = "3.1.0"
# every operation's id, as a client generator names its method
OPERATION_IDS = {
    ("/score", "post"): "scoreLeads",
    ("/healthz", "get"): "getHealth",
    ("/livez", "get"): "getLiveness",
    ("/readyz", "get"): "getReadiness",
    ("/metrics", "get"): "getMetrics",
    ("/model-status", "get"): "getModelStatus",
    ("/", "get"): "getIndexPage",
    ("/docs", "get"): "getDocsPage",
    ("/docs.json", "get"): "getOpenApiDocument",
}
BENTOML_ERRORS = ("InvalidArgument", "NotFound", "InternalServerError", "TaskStatusResponse")

DESCRIPTION = """\
Lead scores with reasons in plain language (German and English) and next-best offers,
for a CRM to call. `POST /score` takes up to {max_batch} leads: each a known `customer_id`,
or a record with a profile and/or events. Every lead gets an item in its place in the
response: its result, or an error naming its field when it cannot be scored (an unknown
id, a timestamp in the future, a profile field the model does not read).

Authentication: `Authorization: Bearer <key>` (the keys in LEADSCORE_API_KEYS) on every
route that reads or writes leads: `/score`, `/events`, `/leads`, `/leads/{{customer_id}}`,
its history and `/scores`. Health, readiness, metrics, model status and these docs are
open. Each operation states its security.

Scores: `score` is 0-100, the lead's percentile among the leads the champion was tested
on; `grade` is a band of it (A: 90-100, B: 70-89, C: 40-69, D: 0-39 with the shipped
shares); `probability` is the calibrated probability of converting. Ids (`customer_id`,
event types, offers) are 1 to 64 characters everywhere.

Limits: bodies of at most {max_body:,} bytes, as `application/json`; the schema states
every other bound. Every error, on every route, is `{{"error": "...", "detail": "..."}}`.
"""

ROUTES = {
    "/healthz": "Liveness: 200 while the process runs.",
    "/livez": "Liveness: 200 while the process runs.",
    "/readyz": (
        "Readiness: 200 with the model versions that serve (and why the last reload failed,"
        " if it did) once the champions are loaded; 503 before."
    ),
    "/metrics": "Prometheus metrics: request counts, latencies and status codes per route.",
}

PAGES = {
    "/": "What the service is, which model versions serve, and links to the docs.",
    "/docs": "This API, as a page (no request to any other host).",
    "/docs.json": "This OpenAPI document.",
}

MODEL_STATUS = {
    "type": "object",
    "required": ["ready", "models", "last_reload_error"],
    "properties": {
        "ready": {"type": "boolean"},
        "models": {"type": "object", "additionalProperties": {"type": "string"}},
        "last_reload_error": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "registry_error": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "bulk_scoring": {
            "type": "string",
            "description": "the process that scores large requests: starting, ready, or why "
            "it has no models",
        },
        "kept_features": {
            "type": "object",
            "description": "with a store: how many known customers' features are built "
            "ahead of requests, and the last round that built them",
            "required": ["kept", "rounds", "last_round"],
            "properties": {
                "kept": {"type": "integer", "minimum": 0},
                "rounds": {"type": "integer", "minimum": 0},
                "last_round": {
                    "anyOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["at", "built", "seconds"],
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "built": {"type": "integer", "minimum": 0},
                                "seconds": {"type": "number", "minimum": 0},
                            },
                        },
                    ]
                },
            },
        },
    },
}


def leadscore_document(
    raw: Mapping,
    *,
    version: str,
    max_batch: int,
    max_body: int,
    profile: Mapping[str, list[str] | str] | None = None,
    event_types: Collection[str] | None = None,
) -> dict:
    """``raw`` (BentoML's document) completed; ``profile`` maps each profile field the
    champion reads to its categories, or to "number", or to "any" (a field its feature set
    leaves out); without it profiles stay open. ``event_types``: the event types accepted
    (None: any)."""
    doc = copy.deepcopy(dict(raw))
    doc["info"] = {
        "title": "leadscore",
        "version": version,
        "description": DESCRIPTION.format(max_batch=max_batch, max_body=max_body),
        "license": {"name": "Apache-2.0"},
    }
    doc["openapi"] = OPENAPI_VERSION
    doc["tags"] = [
        {"name": "Scoring", "description": "Scores, reasons and offers"},
        {"name": "Intake", "description": "Leads and events in"},
        {"name": "Reads", "description": "Leads, their score history and changed scores"},
        {"name": "Operations", "description": "Health, readiness, metrics, model status"},
        {"name": "Webhooks", "description": "What leadscore sends: alerts, CRM record writes"},
    ]
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in BENTOML_ERRORS:
        schemas.pop(name, None)
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    }
    schemas["ModelStatus"] = MODEL_STATUS
    for model in (LeadError, LeadNotScored):  # BentoML writes only a union's first member
        schemas.setdefault(model.__name__, model.model_json_schema())
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API key"}
    }
    paths = doc.setdefault("paths", {})
    for path, operations in paths.items():
        for operation in operations.values():
            _complete(path, operation, max_body=max_body)
    for path, text in ROUTES.items():
        if path in paths:
            paths[path]["get"]["description"] = text
    paths["/readyz"] = _status_route(ROUTES["/readyz"], ready_codes=True)
    paths["/model-status"] = _status_route(
        "Which model versions serve, and why the last reload failed, if it did.",
        ready_codes=False,
    )
    for path, text in PAGES.items():
        media = "application/json" if path.endswith(".json") else "text/html"
        content = {
            media: {"schema": {"type": "object" if media == "application/json" else "string"}}
        }
        paths[path] = {
            "get": {
                "tags": ["Operations"],
                "description": text,
                "responses": {"200": {"description": text, "content": content}},
            }
        }
    store_routes(paths, schemas, max_body=max_body)
    read_routes(paths, schemas, max_body=max_body)
    if profile is not None and "Lead" in schemas:
        _close_profile(schemas["Lead"], profile)
    if event_types is not None:
        _enumerate_event_types(schemas, event_types)
    doc["webhooks"] = webhooks(schemas)
    for path, operations in paths.items():
        for method, operation in operations.items():
            if "operationId" not in operation:
                operation["operationId"] = OPERATION_IDS[(path, method)]
            operation.setdefault("security", [])  # open: said, not left to a default
    return doc


def _complete(path: str, operation: dict, *, max_body: int) -> None:
    protected = path == "/score"
    operation["tags"] = ["Scoring"] if protected else ["Operations"]
    responses = {str(code): r for code, r in operation.get("responses", {}).items()}
    operation["responses"] = responses
    for code in ("404",) if protected else ():
        responses.pop(code, None)
    for code, response in responses.items():
        if code.startswith(("4", "5")):
            response["content"] = {"application/json": {"schema": ERROR}}
    if not protected:
        return
    # BentoML keeps the first member of the result's union: each item is either
    items = [
        {"$ref": "#/components/schemas/LeadResult"},
        {"$ref": "#/components/schemas/LeadError"},
        {"$ref": "#/components/schemas/LeadNotScored"},
    ]
    responses["200"] = {
        "description": "One item per lead, in order: its result, its error, or that its "
        "record holds too little to be scored",
        "content": {"application/json": {"schema": {"type": "array", "items": {"anyOf": items}}}},
    }
    operation["security"] = BEARER
    operation["operationId"] = OPERATION_IDS[(path, "post")]
    operation["summary"] = "Score leads: probability, grade, reasons and next-best offers"
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    errors = {
        "400": "The body breaks the schema: the detail names each field",
        "401": "Missing or invalid API key",
        "413": f"The body is larger than {max_body:,} bytes",
        "415": "The body is not application/json",
        "500": "A fault of the service (never bad input)",
        "503": "The service is not ready yet",
        "504": "No answer within the request timeout",
    }
    for code, text in errors.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": ERROR}}}
    if "401" in responses:
        responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}


def _status_route(description: str, *, ready_codes: bool) -> dict:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ModelStatus"}}}
    responses: dict = {"200": {"description": "The models that serve", "content": body}}
    if ready_codes:
        responses["503"] = {"description": "Not ready yet"}
    return {"get": {"tags": ["Operations"], "description": description, "responses": responses}}


def _close_profile(lead: dict, profile: Mapping[str, list[str] | str]) -> None:
    """The profile property as the champion reads it: its fields, each category's values."""
    fields: dict[str, dict] = {}
    for name, kind in sorted(profile.items()):
        if kind == "number":
            fields[name] = {"anyOf": [{"type": "number"}, {"type": "null"}]}
        elif kind == "any":
            fields[name] = {
                "anyOf": [
                    {"type": "string", "maxLength": 1000},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "null"},
                ]
            }
        else:
            fields[name] = {"anyOf": [{"type": "string", "enum": list(kind)}, {"type": "null"}]}
    closed = {
        "type": "object",
        "properties": fields,
        "additionalProperties": False,
        "description": "the profile fields the champion reads (others refuse the lead)",
    }
    lead["properties"]["profile"] = {"anyOf": [closed, {"type": "null"}]}


def _enumerate_event_types(schemas: dict, event_types: Collection[str]) -> None:
    """The event types accepted, as an enum wherever an event names its type."""
    allowed = {"type": "string", "enum": sorted(event_types)}
    for name in ("Event", "IntakeEvent"):
        properties = schemas.get(name, {}).get("properties", {})
        if "event_type" in properties:
            said = {k: v for k, v in properties["event_type"].items() if k == "description"}
            properties["event_type"] = {**allowed, **said}
