"""Dispatch: small requests on the event loop, large ones in a worker thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from leadscore.serving import dispatch
from leadscore.serving.contract import Lead
from leadscore.serving.dispatch import DEFAULT_INLINE_LEADS, scored_json


def test_small_requests_are_scored_on_the_loop_large_ones_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: dict[int, int] = {}

    def record(scorer, leads, *, lang, top_k, max_batch):
        threads[len(leads)] = threading.get_ident()
        return []

    monkeypatch.setattr(dispatch, "score_leads", record)

    async def both() -> None:
        for n in (1, DEFAULT_INLINE_LEADS, DEFAULT_INLINE_LEADS + 1):
            leads = [Lead(customer_id=f"C-{i}") for i in range(n)]
            assert await scored_json(None, leads, lang="en", top_k=3) == b"[]"

    asyncio.run(both())
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    assert threads[1] == loop_thread and threads[DEFAULT_INLINE_LEADS] == loop_thread
    assert threads[DEFAULT_INLINE_LEADS + 1] != loop_thread
