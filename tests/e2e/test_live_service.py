"""The live loop over real HTTP: a real store (SQLite file), `leadscore load` and
`leadscore rescore`, a real `bentoml serve` scoring known customers from the store as of
each request, intake that moves the next score, and the score history."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from standardwebhooks import Webhook as Verifier

from leadscore.store.store import Store
from tests.e2e.conftest import KEY, SECRET
from tests.receiver import Receiver

pytestmark = pytest.mark.slow


def _post(live: dict, path: str, body: dict) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.post(f"{live['url']}{path}", json=body, headers=headers, timeout=30)


def _get(live: dict, path: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.get(f"{live['url']}{path}", headers=headers, timeout=30)


def test_loading_twice_adds_nothing_and_the_rescore_logs_every_lead(live: dict) -> None:
    store: Store = live["store"]
    # the CRM's customers, each once (other tests of this service add leads of their own)
    crm = pd.read_parquet(live["crm"].directory / "customers.parquet")
    assert len(crm) == 1_500 and set(crm["customer_id"].astype(str)) <= set(store.customer_ids())
    assert "held already" in live["load again"]
    events = pd.read_parquet(live["crm"].directory / "events.parquet")
    assert store.count("events") >= len(events) - 10  # a few exact repeats count once
    # every lead that had come in by the moment rescored as of, and none that came after
    created = store.created_at(crm["customer_id"].astype(str).tolist())
    came_in = int((created <= live["rescored as of"]).sum())
    assert 0 < came_in <= len(crm)
    assert f"rescored {came_in:,} leads" in live["rescore"], live["rescore"]
    assert store.count("scores") >= came_in


def test_the_service_builds_every_known_leads_features_ahead_of_requests(live: dict) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        kept = httpx.get(f"{live['url']}/readyz", timeout=5).json()["kept_features"]
        if kept["rounds"] >= 1:
            break
        time.sleep(0.2)
    assert kept["rounds"] >= 1, kept
    assert kept["kept"] >= 1_500  # every customer the store holds (and any added since)
    assert kept["last_round"]["built"] >= 1_500 or kept["rounds"] > 1


def test_events_posted_move_the_next_score_and_the_trend_says_why(live: dict) -> None:
    store: Store = live["store"]
    lead = store.customer_ids()[7]
    first = _post(live, "/score", {"leads": [{"customer_id": lead}], "lang": "de"})
    assert first.status_code == 200, first.text
    [before] = first.json()
    assert before["trend"]["days_ago"] == 2  # the rescore two days ago
    moment = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=30)
    events = [
        {
            "customer_id": lead,
            "ts": (moment + pd.Timedelta(minutes=m)).isoformat(),
            "event_type": kind,
        }
        for m, kind in enumerate(["pricing_page_view"] * 4 + ["quote_request", "meeting"])
    ]
    posted = _post(live, "/events", {"events": events})
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"received": 6, "added": 6, "duplicates": 0}
    retried = _post(live, "/events", {"events": events})
    assert retried.json() == {"received": 6, "added": 0, "duplicates": 6}

    [after] = _post(live, "/score", {"leads": [{"customer_id": lead}], "lang": "de"}).json()
    assert after["margin"] != pytest.approx(before["margin"])
    history = _get(live, f"/leads/{lead}/history").json()["scores"]
    rescored = history[-1]
    # the first score is logged where it says something new: a probability of its own
    # (features two days on can fall in the same leaves of every tree as the rescore's)
    first_logged = before["probability"] != rescored["probability"]
    expected = ["request", "request", "rescore"] if first_logged else ["request", "rescore"]
    assert [h["origin"] for h in history] == expected
    trend = after["trend"]
    assert trend["previous_score"] == rescored["score"]
    assert trend["delta"] == after["score"] - rescored["score"]
    total = sum(item["impact"] for item in trend["changes"])
    assert total == pytest.approx(after["margin"] - rescored["margin"], abs=1e-5)
    assert any("vor 2 Tagen" in item["text"] for item in trend["changes"])
    assert history[0]["margin"] == pytest.approx(after["margin"])


def test_bad_intake_gets_a_422_naming_each_item_and_stores_nothing(live: dict) -> None:
    store: Store = live["store"]
    lead = store.customer_ids()[3]
    held = store.count("events")
    bad = [
        {"customer_id": lead, "ts": "2026-11-02T10:00:00Z", "event_type": "page_view"},
        {"customer_id": lead, "ts": "yesterday-ish", "event_type": "page_view"},
        {"customer_id": "C-NOBODY", "ts": "2026-11-02T10:00:00Z", "event_type": "call"},
        {"customer_id": lead, "ts": "2099-01-01T00:00:00Z", "event_type": "page_view"},
        {"customer_id": lead, "ts": "2026-11-02T10:00:00Z", "event_type": "telepathy"},
    ]
    answer = _post(live, "/events", {"events": bad})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "events[1].ts" in detail
    assert "events[3].ts" in detail and "future" in detail
    assert "events[4].event_type" in detail
    assert store.count("events") == held  # all or nothing
    # the rest fixed: the unknown customer is told next
    fixed = [bad[0], bad[2]]
    answer = _post(live, "/events", {"events": fixed})
    assert answer.status_code == 422
    assert "events[1].customer_id: 'C-NOBODY' is not a customer in the store" in answer.text
    for body in ({"events": []}, {"wrong": 1}, {"events": [{"customer_id": lead, "x": 1}]}):
        assert _post(live, "/events", body).status_code in (400, 422)
    assert store.count("events") == held


def test_a_new_lead_and_its_events_are_scored_by_id(live: dict) -> None:
    lead = {
        "customer_id": "C-NEW-0001",
        "created_at": (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).isoformat(),
        "profile": {"industry": "manufacturing", "country": "DE"},
    }
    answer = _post(live, "/leads", {"leads": [lead]})
    assert answer.json() == {"received": 1, "added": 1, "updated": 0}, answer.text
    event = {
        "customer_id": "C-NEW-0001",
        "ts": pd.Timestamp.now(tz="UTC").isoformat(),
        "event_type": "pricing_page_view",
        "event_id": "web-991",
    }
    assert _post(live, "/events", {"events": [event]}).json()["added"] == 1
    [result] = _post(live, "/score", {"leads": [{"customer_id": "C-NEW-0001"}]}).json()
    assert result["customer_id"] == "C-NEW-0001" and 0 <= result["score"] <= 100
    scored_at = pd.Timestamp(result["scored_at"])  # when: what its features are as of
    assert abs(pd.Timestamp.now(tz="UTC") - scored_at) < pd.Timedelta(minutes=1)
    assert result["trend"]["direction"] == "not_enough_history"
    missing = _get(live, "/leads/C-NOBODY/history")
    assert missing.status_code == 404 and "not a customer" in missing.json()["error"]
    keyless = httpx.post(f"{live['url']}/events", json={"events": [event]}, timeout=10)
    assert keyless.status_code == 401
    # every lead's history is one metrics series, not a series a lead
    metrics = httpx.get(f"{live['url']}/metrics", timeout=10).text
    assert 'endpoint="/leads/{customer_id}/history"' in metrics
    assert "C-NOBODY" not in metrics


def test_a_trade_fair_scan_reaches_the_crm_as_a_signed_webhook(live: dict) -> None:
    store: Store = live["store"]
    lead = store.customer_ids()[11]
    scan = {
        "customer_id": lead,
        "ts": pd.Timestamp.now(tz="UTC").isoformat(),
        "event_type": "trade_fair_visit",
        "channel": "trade_fair",
    }
    assert _post(live, "/events", {"events": [scan]}).json()["added"] == 1
    assert _post(live, "/events", {"events": [scan]}).json()["duplicates"] == 1
    receiver: Receiver = live["receiver"]

    def of_lead() -> list:  # a fair's scans imported in the workspace alert too
        return [
            a for a in list(receiver.accepted) if a[0].get("data", {}).get("customer_id") == lead
        ]

    deadline = time.time() + 30
    while time.time() < deadline and not of_lead():
        time.sleep(0.2)
    time.sleep(2)  # a second delivery, were there one, would have come by now
    [(payload, headers, body)] = of_lead()
    assert Verifier(SECRET).verify(body, headers) == payload  # Standard Webhooks' own check
    assert payload["type"] == "lead.event"
    data = payload["data"]
    assert data["rule"] == "fair_scan" and data["customer_id"] == lead
    assert data["grade"] in ("A", "B", "C", "D") and data["event_type"] == "trade_fair_visit"
    assert headers["webhook-id"] == data["alert_id"]
    assert data["reasons"] and len(data["reasons"]) <= 3  # in German: the rules' lang is de
    # the reasons of the lead's score, as /score says them in German seconds later
    asked = {"leads": [{"customer_id": lead}], "lang": "de", "top_k": 10}
    [said] = _post(live, "/score", asked).json()
    texts = {r["text"] for r in said["reasons"]}
    assert {r["text"] for r in data["reasons"]} <= texts


def test_the_store_routes_are_documented_truthfully_under_schemathesis(live: dict) -> None:
    """Generated requests to the intake and read routes (a lead, its history, the feed of
    changed scores), valid and invalid, with a key: no 5xx, and every status, content type
    and body as the OpenAPI document says. (Runs last: it adds the leads it makes up.)"""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{live['url']}/docs.json",
        "--header",
        f"Authorization: Bearer {KEY}",
        "--include-path-regex",
        "^/(events|leads|scores)",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "60",
        "--seed",
        "7",
        "--request-timeout",
        "60",
        "--no-shrink",
        "--generation-database",
        "none",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=420)
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    selected = re.search(r"(\d+) selected / (\d+) total", run.stdout)
    assert selected and selected.group(1) == "5", report  # /events, /leads, a lead, history, feed
    cases = re.search(r"([\d,]+) generated, ([\d,]+) passed\n", run.stdout)
    assert cases and cases.group(1) == cases.group(2), report  # none failed, none skipped
