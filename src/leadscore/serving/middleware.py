"""ASGI middleware around BentoML's app: one error shape, and a /readyz that says which
models serve."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus


class ErrorShapeMiddleware:
    """Gives every error response one shape, ``{"error": "...", "detail": "..."}``, as the
    OpenAPI document declares it: BentoML's 400 bodies get ``detail`` as one readable
    string naming each field ("leads.0.customer_id: ..."; BentoML documents a string but
    sends pydantic's list), its list-wrapped errors are unwrapped, and plain-text errors
    (Starlette's 404 and 405) become JSON."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    start["pass"] = True
                    await send(message)
                    return
                start.update(message)
                return
            if start.get("pass"):
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = _error_body(b"".join(chunks), start["status"], scope)
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-length", b"content-type")
            ]
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


class ReadinessMiddleware:
    """ASGI middleware: where BentoML's ``/readyz`` answers ready, the body says which
    model versions serve and why the last reload failed, if it did (the service keeps
    serving the old models then, so it stays ready); it answers 503 with the same body
    where ``status`` says not ready (the store or the bulk process cannot serve)."""

    def __init__(self, app, status: Callable[[], dict | None]) -> None:
        self.app = app
        self.status = status

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/readyz":
            await self.app(scope, receive, send)
            return
        answer: dict = {}

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                answer["start"] = message
            elif not message.get("more_body"):
                answer["body"] = message.get("body", b"")

        await self.app(scope, receive, capture)
        start, status = answer["start"], self.status()
        if start["status"] != 200 or status is None:
            await send(start)
            await send({"type": "http.response.body", "body": answer.get("body", b"")})
            return
        body = json.dumps(status).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        code = 200 if status.get("ready", True) else 503
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _error_body(body: bytes, status: int, scope: dict) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict | list):
        phrase = HTTPStatus(status).phrase if status in set(HTTPStatus) else f"Error {status}"
        path = scope.get("path", "")[:100]
        payload = {"error": f"{phrase}: {scope.get('method', '')} {path}"}
        if status == 404:
            payload["error"] += " is not a route of this service; see /docs"
    if isinstance(payload, list):  # errors raised inside the API arrive as a list
        errors = [e.get("error", str(e)) if isinstance(e, dict) else str(e) for e in payload]
        payload = {"error": "; ".join(errors)}
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, list):
        parts = []
        for error in detail:
            where = ".".join(str(p) for p in error.get("loc", []))
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        payload["detail"] = "; ".join(parts)
    if not isinstance(payload.get("error"), str):
        payload["error"] = str(payload.get("error") or f"error {status}")
    if "detail" in payload and not isinstance(payload["detail"], str):
        payload["detail"] = json.dumps(payload["detail"])
    return json.dumps(payload).encode()
