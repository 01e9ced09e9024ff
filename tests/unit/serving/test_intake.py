"""The store's routes: a body nested deeper than the parser goes is a 400, never a 500; a
batch whose customers are all unknown names each of them in a 422."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.models.conversion import ConversionPredictor
from leadscore.serving.intake import HISTORY_WAIT_SECONDS, IntakeMiddleware
from tests.unit.live import live_scorer, live_store


async def _nothing_else(scope, receive, send) -> None:
    raise AssertionError("a store route went on to the app")


def _post(app: IntakeMiddleware, path: str, body: bytes) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, content=body)

    return asyncio.run(call())


def test_deep_nesting_is_a_400_and_unknown_customers_a_422(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[0])
    store = live_store(tmp_path, data, [lead], pd.Timestamp("2026-06-20", tz="UTC"))
    live = live_scorer(models[0], store)
    app = IntakeMiddleware(_nothing_else, live=lambda: live, event_types=lambda: None)
    deep = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for path in ("/events", "/leads"):
        answer = _post(app, path, deep)
        assert answer.status_code == 400 and "nested too deeply" in answer.json()["error"]
    events = [
        {"customer_id": c, "ts": "2026-06-10T00:00:00Z", "event_type": "page_view"}
        for c in ("C-NOPE-1", "C-NOPE-2")
    ]
    refused = _post(app, "/events", httpx.Request("POST", "/", json={"events": events}).read())
    assert refused.status_code == 422, refused.text
    assert "'C-NOPE-2' is not a customer in the store" in refused.text


def test_the_history_of_an_id_holding_a_slash_is_read_back_with_the_scores_before_it(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    store = live_store(tmp_path, data, [], pd.Timestamp("2026-06-20", tz="UTC"))
    live = live_scorer(models[0], store)
    waits: list[float] = []  # the history waits for the scores answered before it
    app = IntakeMiddleware(
        _nothing_else,
        live=lambda: live,
        event_types=lambda: None,
        logged=lambda seconds: waits.append(seconds) or True,
    )
    lead = {"customer_id": "ACME/DE/0042", "created_at": "2026-06-01T00:00:00Z"}
    added = _post(app, "/leads", httpx.Request("POST", "/", json={"leads": [lead]}).read())
    assert added.status_code == 200, added.text

    async def history(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    read = asyncio.run(history("/leads/ACME%2FDE%2F0042/history"))
    assert read.status_code == 200, read.text
    assert read.json() == {"customer_id": "ACME/DE/0042", "scores": []}
    assert waits == [HISTORY_WAIT_SECONDS]


def _json(payload: dict) -> bytes:
    return httpx.Request("POST", "/", json=payload).read()


def test_a_lead_profile_is_checked_against_the_champion_as_score_records_are(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    store = live_store(tmp_path, data, [], pd.Timestamp("2026-06-20", tz="UTC"))
    strict = IntakeMiddleware(
        _nothing_else, live=lambda: live_scorer(models[0], store), event_types=lambda: None
    )
    good = {"customer_id": "L-1", "profile": {"industry": "software", "account_id": "A-1"}}
    leads = [
        good,
        {"customer_id": "L-2", "profile": {"industry": "Software", "favourite_colour": "red"}},
    ]
    refused = _post(strict, "/leads", _json({"leads": leads}))
    assert refused.status_code == 422, refused.text
    problems = refused.json()["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("leads[1].profile.industry: 'Software' is not a value")
    assert "did you mean 'software'?" in problems[0]
    assert problems[1].startswith("leads[1].profile.favourite_colour: not a profile field")
    assert store.known(["L-1", "L-2"]) == set()  # nothing of the batch
    lenient = IntakeMiddleware(
        _nothing_else,
        live=lambda: live_scorer(models[0], store, lenient_profiles=True),
        event_types=lambda: None,
    )
    taken = _post(lenient, "/leads", _json({"leads": leads}))
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"received": 2, "added": 2, "updated": 0, "warnings": problems}
    clean = _post(strict, "/leads", _json({"leads": [good | {"customer_id": "L-3"}]}))
    assert clean.status_code == 200 and "warnings" not in clean.json()


def test_a_history_says_each_scores_reasons_in_the_language_asked(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[2])
    store = live_store(tmp_path, data, [lead], pd.Timestamp("2026-06-20", tz="UTC"))
    live = live_scorer(models[0], store)
    [scored] = live.score_and_log([lead], now=pd.Timestamp("2026-06-20", tz="UTC"), lang="de")
    app = IntakeMiddleware(_nothing_else, live=lambda: live, event_types=lambda: None)

    async def history(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    german = asyncio.run(history(f"/leads/{lead}/history?lang=de")).json()["scores"][0]
    english = asyncio.run(history(f"/leads/{lead}/history")).json()["scores"][0]
    said = [r["text"] for r in scored["reasons"]][:5]
    assert [r["text"] for r in german["reasons"]] == said and said
    assert [r["text"] for r in english["reasons"]] != said  # English by default
    assert german["impacts"] == english["impacts"]  # the raw values stay beside them
    refused = asyncio.run(history(f"/leads/{lead}/history?lang=fr"))
    assert refused.status_code == 400 and "lang: de or en" in refused.text
