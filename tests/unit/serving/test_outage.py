"""The service while its store is away: the probe that /readyz reads, and 503 with
Retry-After (never 500) for a request that meets the store down or locked."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from leadscore.serving.outage import StoreOutageMiddleware, StoreProbe
from leadscore.store.database import engine_for
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.store import Store


def test_the_probe_says_a_store_that_cannot_be_reached_without_naming_its_address(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    probe = StoreProbe(store, every=0.01)
    stopping = threading.Event()
    probe.start(stopping)
    stopping.set()
    assert probe.reachable and probe.status() == {
        "reachable": True,
        "down_for_seconds": None,
        "error": None,
    }
    # another process holding the write lock does not make the store unreachable: reads go on
    holder = sqlite3.connect(tmp_path / "leadscore.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert probe.check()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    away = StoreProbe(Store(engine_for(f"sqlite:///{tmp_path}/no/such/dir/leadscore.db")))
    assert not away.check() and not away.reachable
    status = away.status()
    assert status["down_for_seconds"] is not None
    assert "cannot be reached" in status["error"] and str(tmp_path) not in status["error"]


async def _call(app, path: str = "/events") -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, json={})


def test_a_store_outage_out_of_the_app_is_a_503_with_retry_after() -> None:
    async def locked(scope, receive, send) -> None:
        raise sa.exc.OperationalError("INSERT INTO events ...", {}, Exception("database is locked"))

    answer = asyncio.run(_call(StoreOutageMiddleware(locked)))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    error = answer.json()["error"]
    assert "another process holds its write lock" in error and "INSERT" not in error


def test_a_503_of_the_app_gets_retry_after_and_other_errors_stay_errors() -> None:
    async def busy(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    answered = asyncio.run(_call(StoreOutageMiddleware(busy)))
    assert answered.headers["retry-after"] == str(RETRY_AFTER_SECONDS)

    async def mistaken(scope, receive, send) -> None:
        raise KeyError("a mistake of leadscore's, not an outage")

    with pytest.raises(KeyError):
        asyncio.run(_call(StoreOutageMiddleware(mistaken)))
