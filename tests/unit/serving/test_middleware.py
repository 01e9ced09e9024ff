"""Middleware: /readyz says which models serve, without a server."""

from __future__ import annotations

import asyncio

import httpx

from leadscore.serving.middleware import ReadinessMiddleware


def test_readiness_says_which_models_serve_and_why_a_reload_failed() -> None:
    async def bentoml_like(scope, receive, send) -> None:
        status = 200 if scope["path"] == "/readyz" and scope["query_string"] != b"down" else 503
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"plain"})

    said = {"ready": True, "models": {"conversion": "1"}, "last_reload_error": "broken v2"}
    app = ReadinessMiddleware(bentoml_like, status=lambda: said)

    async def get(path: str, query: str = "") -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path + (f"?{query}" if query else ""))

    ready = asyncio.run(get("/readyz"))
    assert ready.status_code == 200 and ready.json() == said
    not_ready = asyncio.run(get("/readyz", "down"))  # BentoML's own verdict stands
    assert not_ready.status_code == 503 and not_ready.text == "plain"
    assert asyncio.run(get("/healthz")).text == "plain"  # other routes untouched


def test_readiness_answers_503_with_its_reasons_where_the_status_says_not_ready() -> None:
    async def bentoml_like(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ready"})

    said = {"ready": False, "models": {"conversion": "1"}, "not_ready": ["store: away"]}
    app = ReadinessMiddleware(bentoml_like, status=lambda: said)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/readyz")

    answer = asyncio.run(get())
    assert answer.status_code == 503 and answer.json() == said
