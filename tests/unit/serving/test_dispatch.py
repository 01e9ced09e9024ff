"""Dispatch: small requests on the event loop, large ones in the bulk process."""

from __future__ import annotations

import asyncio
import threading

import pandas as pd
import pytest

from leadscore.serving import dispatch
from leadscore.serving.contract import Lead
from leadscore.serving.dispatch import DEFAULT_INLINE_LEADS, INLINE_PARTS, scored_json


class RecordingBulk:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def score_leads(self, leads, *, lang, top_k) -> tuple[int, bytes]:
        self.sizes.append(len(leads))
        return 200, b'["bulk"]'


def test_small_requests_are_scored_in_the_process_large_ones_in_the_bulk_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: dict[int, int] = {}

    def record(scorer, leads, *, lang, top_k, max_batch):
        threads[len(leads)] = threading.get_ident()
        return []

    monkeypatch.setattr(dispatch, "score_leads", record)
    bulk = RecordingBulk()
    event = {"ts": "2026-01-01T00:00:00Z", "event_type": "page_view"}
    many_events = [Lead(events=[event] * (INLINE_PARTS + 1))]
    records = [Lead(events=[event])] * 2
    loop_thread: list[int] = []

    async def answers() -> list[tuple[int, bytes]]:
        loop_thread.append(threading.get_ident())
        sizes = (1, DEFAULT_INLINE_LEADS, DEFAULT_INLINE_LEADS + 1)
        leads = [[Lead(customer_id=f"C-{i}") for i in range(n)] for n in sizes]
        return [
            await scored_json(champions, batch, lang="en", top_k=3, bulk=bulk)  # type: ignore[arg-type]
            for batch in [*leads, many_events, records]
        ]

    # score_leads is the recorder above: a scorer with a store (live) is all it takes
    champions = type("Champions", (), {"live": object()})()
    one, inline, over, heavy, pure = asyncio.run(answers())
    assert one == inline == pure == (200, b"[]") and over == heavy == (200, b'["bulk"]')
    # known ids read the store: off the event loop; records alone stay on it
    assert threads[1] != loop_thread[0] and threads[DEFAULT_INLINE_LEADS] != loop_thread[0]
    assert threads[2] == loop_thread[0]
    # ... and known ids from a feature table in memory (no store) stay on it too
    threads.clear()
    champions = type("Champions", (), {"live": None})()
    loop_thread.clear()
    asyncio.run(answers())
    assert threads[1] == threads[DEFAULT_INLINE_LEADS] == loop_thread[0]
    assert bulk.sizes == [DEFAULT_INLINE_LEADS + 1, 1] * 2


def test_every_scored_lead_says_when_it_was_scored_and_error_items_do_not() -> None:
    class Records:  # the record scorer's side of a Scorer: one scored, one refused
        def score_records(self, payload, *, now, lang, top_k, positions):
            self.now = now
            return [{"customer_id": None, "score": 40}, {"customer_id": None, "error": "no"}]

    records = Records()
    scorer = type("Champions", (), {"records": records})()
    event = {"ts": "2026-01-01T00:00:00Z", "event_type": "page_view"}
    scored, refused = dispatch.score_leads(
        scorer,  # type: ignore[arg-type]
        [Lead(events=[event]), Lead(events=[event])],
        lang="en",
        top_k=3,
    )
    assert pd.Timestamp(scored["scored_at"]) == records.now.floor("ms")
    assert scored["scored_at"].endswith("Z") and "scored_at" not in refused
