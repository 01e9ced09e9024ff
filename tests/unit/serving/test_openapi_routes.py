"""The operations of leadscore's own routes: each protected, named, and its schemas in
the components it refers to."""

from __future__ import annotations

import json

from leadscore.serving.contract import ScoresPage
from leadscore.serving.openapi_routes import read_routes, schema_ref, store_routes


def test_every_operation_of_the_store_and_read_routes_is_protected_and_named() -> None:
    paths: dict = {}
    schemas: dict = {}
    store_routes(paths, schemas, max_body=4096)
    read_routes(paths, schemas, max_body=4096)
    assert set(paths) == {
        "/events",
        "/leads",
        "/leads/{customer_id}",
        "/leads/{customer_id}/history",
        "/scores",
    }
    operations = [o for ops in paths.values() for o in ops.values()]
    assert all(o["security"] == [{"bearer": []}] and o["operationId"] for o in operations)
    assert all("401" in o["responses"] for o in operations)
    refs = set(json.dumps(paths).split('"#/components/schemas/')[1:])
    named = {ref.split('"', 1)[0] for ref in refs}
    assert named <= set(schemas) | {"Error"}
    feed = paths["/scores"]["get"]["parameters"]
    assert [p["name"] for p in feed] == ["cursor", "changed_since", "limit"]


def test_a_models_schema_is_added_once_with_the_models_it_uses() -> None:
    schemas: dict = {}
    assert schema_ref(ScoresPage, schemas) == {"$ref": "#/components/schemas/ScoresPage"}
    assert {"ScoresPage", "ChangedScore"} <= set(schemas)
    before = json.dumps(schemas, sort_keys=True)
    schema_ref(ScoresPage, schemas)
    assert json.dumps(schemas, sort_keys=True) == before
