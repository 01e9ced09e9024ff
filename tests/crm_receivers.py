"""The three CRMs' APIs for the tests: one real local HTTP server that answers as HubSpot,
Salesforce or Dynamics 365 (Dataverse) do, and their token endpoints.

Every request is checked as the vendor would: method, path, a bearer token it issued and
has not expired, and the body against the vendor's published request schema (the JSON
schemas in tests/crm_schemas/, each naming its source). A request that fails a check is
kept in ``invalid`` and answered 400, so a test asserts there are none.

A test can make it answer the next requests with a status (``answer_next(429,
{"Retry-After": "120"})``, 503...), expire the tokens it issued (the next API request
gets 401, as an expired session does), refuse some records one by one (``refuse``:
record id -> "dead" or "retry"), or stop it altogether (connection refused).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import jsonschema

SCHEMAS = Path(__file__).parent / "crm_schemas"
SCHEMA_FILES = {
    "hubspot": "hubspot_batch_update.json",
    "salesforce": "salesforce_composite_sobjects_update.json",
    "dynamics": "dynamics_predictivescore.json",
}
PATHS = {
    "hubspot": ("POST", re.compile(r"^/crm/v3/objects/contacts/batch/update$")),
    "salesforce": ("PATCH", re.compile(r"^/services/data/v\d+\.\d/composite/sobjects$")),
    "dynamics": (
        "PATCH",
        re.compile(r"^/api/data/v9\.2/msdyn_predictivescores\(([0-9a-f-]{36})\)$"),
    ),
}
TOKEN_PATHS = {"salesforce": "/services/oauth2/token", "dynamics": "/tenant/oauth2/v2.0/token"}
STATIC_TOKEN = "pat-na1-test-token"


def schema(kind: str) -> dict:
    return json.loads((SCHEMAS / SCHEMA_FILES[kind]).read_text())


class CrmApi:
    """One vendor's API on a local port (``kind``: hubspot, salesforce or dynamics)."""

    def __init__(self, kind: str, port: int) -> None:
        self.kind, self.port = kind, port
        self.validator = jsonschema.Draft202012Validator(schema(kind))
        self.lock = threading.Lock()
        self.invalid: list[str] = []
        self.written: list[tuple[str, dict]] = []  # (record id, values) of each record written
        self.rows: dict[str, dict] = {}  # Dynamics: score rows by key
        self.planned: list[tuple[int, dict[str, str]]] = []
        self.refuse: dict[str, str] = {}  # record id -> "dead" or "retry"
        self.tokens: set[str] = set() if kind != "hubspot" else {STATIC_TOKEN}
        self.tokens_issued = 0
        self.requests = 0
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer_next(
        self, status: int, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        with self.lock:
            self.planned += [(status, headers or {})] * times

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def counts(self) -> Counter:
        """How often each record was written."""
        return Counter(record for record, _ in self.written)

    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                api._handle(self, "POST")

            def do_PATCH(self) -> None:
                api._handle(self, "PATCH")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    # --- answering ---------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self.lock:
            self.requests += 1
            status, payload, headers = self._answer(request, method, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        with contextlib.suppress(OSError):
            request.send_response(status)
            for name, value in headers.items():
                request.send_header(name, value)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)

    def _answer(self, request, method: str, body: bytes) -> tuple[int, object, dict]:
        path = request.path
        if path == TOKEN_PATHS.get(self.kind):
            return self._token(method, request, body)
        expected_method, pattern = PATHS[self.kind]
        match = pattern.match(path)
        if method != expected_method or match is None:
            self.invalid.append(f"{method} {path}")
            return 404, [{"errorCode": "NOT_FOUND", "message": path}], {}
        if self.planned:
            status, headers = self.planned.pop(0)
            return status, {"message": "planned"}, headers
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in self.tokens:
            # as an expired session is answered: 401 (Salesforce says INVALID_SESSION_ID)
            return (
                401,
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                {},
            )
        try:
            document = json.loads(body)
        except ValueError:
            self.invalid.append(f"{path}: not JSON")
            return 400, None, {}
        problems = [e.message for e in self.validator.iter_errors(document)]
        if self.kind == "dynamics" and request.headers.get("OData-Version") != "4.0":
            problems.append("no OData-Version: 4.0 header")
        if problems:
            self.invalid.append(f"{path}: {'; '.join(problems)}")
            return 400, {"error": problems}, {}
        return getattr(self, f"_{self.kind}")(document, match)

    def _token(self, method: str, request, body: bytes) -> tuple[int, object, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (
            method != "POST"
            or form.get("grant_type") != "client_credentials"
            or not (form.get("client_id") and form.get("client_secret"))
        ):
            self.invalid.append(f"token request {form}")
            return 400, {"error": "invalid_request"}, {}
        if self.kind == "dynamics" and not form.get("scope", "").endswith("/.default"):
            self.invalid.append(f"token request without a .default scope: {form}")
            return 400, {"error": "invalid_scope"}, {}
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.tokens.add(token)
        if self.kind == "salesforce":
            answer = {
                "access_token": token,
                "instance_url": self.url,
                "token_type": "Bearer",
                "issued_at": "1700000000000",
                "signature": "x",
                "id": "https://x/id",
            }
        else:
            answer = {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        return 200, answer, {}

    def _hubspot(self, document: dict, match) -> tuple[int, object, dict]:
        results, errors = [], []
        for item in document["inputs"]:
            refused = self.refuse.get(item["id"])
            if refused is None:
                self.written.append((item["id"], item["properties"]))
                results.append(
                    {
                        "id": item["id"],
                        "properties": item["properties"],
                        "createdAt": "2024-01-01T00:00:00Z",
                        "updatedAt": "2024-01-01T00:00:00Z",
                        "archived": False,
                    }
                )
            else:
                category = "RATE_LIMITS" if refused == "retry" else "OBJECT_NOT_FOUND"
                errors.append(
                    {
                        "status": "error",
                        "category": category,
                        "message": f"{item['id']} refused",
                        "context": {"ids": [item["id"]]},
                    }
                )
        answer = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": "2024-01-01T00:00:00Z",
            "completedAt": "2024-01-01T00:00:01Z",
        }
        if errors:
            answer |= {"errors": errors, "numErrors": len(errors)}
            return 207, answer, {}
        return 200, answer, {}

    def _salesforce(self, document: dict, match) -> tuple[int, object, dict]:
        out = []
        for record in document["records"]:
            refused = self.refuse.get(record["id"])
            if refused is None:
                values = {k: v for k, v in record.items() if k not in ("attributes", "id")}
                self.written.append((record["id"], values))
                out.append({"id": record["id"], "success": True, "errors": []})
            else:
                code = "UNABLE_TO_LOCK_ROW" if refused == "retry" else "ENTITY_IS_DELETED"
                out.append(
                    {
                        "id": record["id"],
                        "success": False,
                        "errors": [{"statusCode": code, "message": "refused", "fields": []}],
                    }
                )
        return 200, out, {}

    def _dynamics(self, document: dict, match) -> tuple[int, object, dict]:
        key = match.group(1)
        record = document["msdyn_entityid"]
        refused = self.refuse.get(record)
        if refused == "dead":
            return 404, {"error": {"code": "0x80040217", "message": "does not exist"}}, {}
        if refused == "retry":
            return 503, {"error": {"message": "busy"}}, {"Retry-After": "1"}
        self.written.append((record, document))
        self.rows[key] = document
        return 204, None, {}
