"""Bounds on what one request may make the service read: its body's size and media type,
checked before any of it is parsed."""

from __future__ import annotations

import json

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
# Bodies larger than this are validated and scored in the bulk process (serving.bulk):
# validating this much JSON takes about 2 ms (a 3 MB body took 350 ms)
DEFAULT_BULK_BYTES = 16 * 1024
JSON_TYPES = ("application/json",)


class RequestLimitsMiddleware:
    """ASGI middleware: a body over ``max_body`` bytes is refused with 413 as soon as that
    many have come (by its Content-Length, before reading it), a body on ``json_paths``
    that is not JSON with 415; a body within the bounds is handed on whole."""

    def __init__(self, app, *, max_body: int, json_paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_body = max_body
        self.json_paths = json_paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope["path"] in self.json_paths:
            media = headers.get(b"content-type", b"application/json").decode("latin-1")
            media = media.split(";")[0].strip().lower()
            if media not in JSON_TYPES:
                shown = media[:60] or "(empty)"
                message = f"Content-Type {shown} is not accepted: send the body as application/json"
                await _refuse(send, 415, message)
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _refuse(send, 413, self._too_large())
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(send, 413, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    def _too_large(self) -> str:
        return (
            f"the body is larger than {self.max_body:,} bytes (LEADSCORE_MAX_BODY_BYTES): "
            "send fewer leads or events per request"
        )


def replaying(body: bytes, receive):
    """An ASGI ``receive`` that hands on ``body``, read already, then what comes after."""
    handed = False

    async def replay():
        nonlocal handed
        if not handed:
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
