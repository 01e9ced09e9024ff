"""The HTTP contract's helpers, without a server."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest

from leadscore import api
from leadscore.api import (
    INLINE_LEADS,
    Lead,
    ModelWatcher,
    ReadinessMiddleware,
    authorized,
    scored_json,
)
from leadscore.errors import InputError


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer key-2", True),
        ("Bearer key-3", False),
        ("key-2", False),
        ("Basic key-2", False),
        (None, False),
    ],
)
def test_only_a_configured_bearer_key_is_authorized(header: str | None, expected: bool) -> None:
    assert authorized(header, {"key-1", "key-2"}) is expected


def test_small_requests_are_scored_on_the_loop_large_ones_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: dict[int, int] = {}

    def record(scorer, leads, *, lang, top_k):
        threads[len(leads)] = threading.get_ident()
        return []

    monkeypatch.setattr(api, "score_leads", record)

    async def both() -> None:
        for n in (1, INLINE_LEADS, INLINE_LEADS + 1):
            leads = [Lead(customer_id=f"C-{i}") for i in range(n)]
            assert await scored_json(None, leads, lang="en", top_k=3) == b"[]"

    asyncio.run(both())
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    assert threads[1] == loop_thread and threads[INLINE_LEADS] == loop_thread
    assert threads[INLINE_LEADS + 1] != loop_thread


def test_a_failed_reload_keeps_the_old_models_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = {"conversion": "1"}

    def load() -> tuple[str, dict]:
        if registry["conversion"] != "1":
            raise InputError("version 2: booster.txt is missing")
        return "scorer of version 1", dict(registry)

    watcher = ModelWatcher(load, lambda: dict(registry), interval=0)
    registry["conversion"] = "2"
    with caplog.at_level(logging.ERROR, logger="leadscore.service"):
        watcher.check()
    assert watcher.state.scorer == "scorer of version 1"
    status = watcher.state.status()
    assert status["ready"] and status["models"] == {"conversion": "1"}
    assert "booster.txt is missing" in status["last_reload_error"]
    assert "reloading the champion failed" in caplog.text and "booster.txt" in caplog.text


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
