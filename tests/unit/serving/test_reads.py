"""The read routes as a CRM calls them: a lead with its newest score, grade and trend
(an id holding "/" too), the feed of changed scores followed by its cursor until nothing
new, and every bad parameter a 400 that says how to send it; nothing is written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pandas as pd
import pytest

from leadscore.data.loading import CanonicalData
from leadscore.models.conversion import ConversionPredictor
from leadscore.serving.reads import ReadsMiddleware, cursor, feed_query
from tests.unit.live import live_scorer, live_store

T = pd.Timestamp("2026-06-20", tz="UTC")


async def _nothing_else(scope, receive, send) -> None:
    raise AssertionError("a read route went on to the app")


def _get(app: ReadsMiddleware, path: str, method: str = "GET") -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path)

    return asyncio.run(call())


def test_a_lead_reads_back_with_its_newest_score_grade_and_trend(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    ids = [str(c) for c in data.customers["customer_id"].iloc[:3]]
    store = live_store(tmp_path, data, ids, T)
    live = live_scorer(models[0], store)
    app = ReadsMiddleware(_nothing_else, live=lambda: live)
    unscored = _get(app, f"/leads/{ids[0]}")
    assert unscored.status_code == 200, unscored.text
    assert unscored.json()["newest_score"] is None and unscored.json()["customer_id"] == ids[0]
    week_ago = live.score_and_log(ids, now=T - pd.Timedelta(days=7))
    today = live.score_and_log(ids, now=T)
    lead = _get(app, f"/leads/{ids[0]}").json()
    newest = lead["newest_score"]
    assert {k: newest[k] for k in ("score", "grade")} == {
        k: today[0][k] for k in ("score", "grade")
    }
    assert newest["scored_at"] == "2026-06-20T00:00:00.000Z"
    if (
        newest["score"] != week_ago[0]["score"]
        or week_ago[0]["probability"] != today[0]["probability"]
    ):  # a score logged only where it changed: a trend over the week
        assert newest["trend"]["previous_score"] == week_ago[0]["score"]
        assert newest["trend"]["days_ago"] == 7
    assert lead["profile"] and "customer_id" not in lead["profile"]
    missing = _get(app, "/leads/C-NOT-THERE")
    assert missing.status_code == 404 and "POST /leads" in missing.json()["error"]
    assert _get(app, f"/leads/{ids[0]}", method="POST").status_code == 405


def test_the_feed_follows_its_cursor_to_each_change_once(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    ids = [str(c) for c in data.customers["customer_id"].iloc[:5]]
    store = live_store(tmp_path, data, ids, T)
    live = live_scorer(models[0], store)
    app = ReadsMiddleware(_nothing_else, live=lambda: live)
    live.score_and_log(ids, now=T)
    live.score_and_log(ids, now=T)  # the same scores again: nothing new is logged
    seen, path = [], "/scores?limit=2"
    for _ in range(10):
        page = _get(app, path)
        assert page.status_code == 200, page.text
        seen += [s["customer_id"] for s in page.json()["scores"]]
        path = f"/scores?cursor={page.json()['next_cursor']}&limit=2"
        if not page.json()["has_more"]:
            break
    assert seen == ids  # each lead once, in the order logged
    again = _get(app, path).json()  # polled later with the last cursor: nothing new
    assert again["scores"] == [] and again["has_more"] is False
    since = _get(app, "/scores?changed_since=2026-06-20T01:00:00%2B02:00").json()
    assert [s["customer_id"] for s in since["scores"]] == ids  # 19 June, 23:00 UTC: all
    later = _get(app, "/scores?changed_since=2026-06-20T00:00:01Z").json()
    assert later["scores"] == []
    assert store.count("scores") == 5  # the second scoring logged nothing


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"limit": ["0"]}, "limit: a whole number from 1 to 5,000"),
        ({"limit": ["ten"]}, "limit: a whole number"),
        ({"cursor": ["not-a-cursor"]}, "cursor: not a cursor this service gave"),
        ({"changed_since": ["2026-12-01 10:00"]}, "no ISO 8601 moment with a time zone"),
        ({"changed_since": ["yesterday"]}, "no ISO 8601 moment"),
        ({"since": ["2026-12-01T00:00:00Z"]}, "since: not a parameter of GET /scores"),
        (
            {"cursor": [cursor(3, None)], "changed_since": ["2026-12-01T00:00:00Z"]},
            "cursor or changed_since, not both",
        ),
    ],
)
def test_a_bad_feed_parameter_says_how_to_send_it(query: dict, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        feed_query(query)


def test_a_cursor_holds_its_position_and_start() -> None:
    start = pd.Timestamp("2026-12-01", tz="UTC")
    assert feed_query({"cursor": [cursor(42, start)]}) == (42, start, 500)
    assert feed_query({}) == (0, None, 500)
