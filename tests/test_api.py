"""The HTTP contract's helpers, without a server."""

from __future__ import annotations

import asyncio
import threading

import pytest

from leadscore import api
from leadscore.api import INLINE_LEADS, Lead, authorized, scored_json


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
