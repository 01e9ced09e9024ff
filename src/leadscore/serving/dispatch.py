"""How a request's leads reach the Scorer: known ids and records in one batch each, in
the service's process when few (on the event loop, but known ids read from the store:
those in a thread), in the bulk process when many."""

from __future__ import annotations

from functools import partial
from typing import Protocol

import anyio
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.common.time import iso_utc
from leadscore.scoring.feature_table import unknown_ids
from leadscore.scoring.scorer import Scorer
from leadscore.serving.contract import DEFAULT_MAX_BATCH, Lead, results_json

# Up to this many leads a request is scored on the event loop: a few leads take less time
# than handing them to the bulk process and back costs.
DEFAULT_INLINE_LEADS = 16
# ... and at most this many events and profile fields among them: the work of a request
# grows with those too, and the event loop must never be held for more than milliseconds
INLINE_PARTS = 200


class BulkScoring(Protocol):
    """What a request hands many leads to (``serving.bulk.BulkScorer``, in processes of
    its own)."""

    async def score_leads(
        self, leads: list[Lead], *, lang: str, top_k: int
    ) -> tuple[int, bytes]: ...


def score_leads(
    scorer: Scorer,
    leads: list[Lead],
    *,
    lang: str,
    top_k: int,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> list[dict]:
    """Known ids from the store (each score logged) or the feature table, records through
    the feature builder, in order; a lead that cannot be scored gets its error item in its
    place."""
    if len(leads) > max_batch:
        raise InputError(f"leads: {len(leads)} leads in one request; at most {max_batch}")
    known = [i for i, lead in enumerate(leads) if not lead.is_record]
    records = [i for i, lead in enumerate(leads) if lead.is_record]
    results: list[dict] = [{} for _ in leads]
    now = pd.Timestamp.now(tz="UTC")
    if known:
        ids = [str(leads[i].customer_id) for i in known]
        for i, result in zip(known, _known(scorer, ids, now, lang, top_k, known), strict=True):
            results[i] = result
    if records:
        payload = [leads[i].model_dump(exclude_none=True) for i in records]
        scored = scorer.records.score_records(
            payload, now=now, lang=lang, top_k=top_k, positions=records
        )
        for i, result in zip(records, scored, strict=True):
            results[i] = result
    stamp = iso_utc(now)
    return [{**r, "scored_at": stamp} if "score" in r else r for r in results]


def _known(
    scorer: Scorer, ids: list[str], now: pd.Timestamp, lang: str, top_k: int, at: list[int]
) -> list[dict]:
    """Known customers' scores: from the store as of now, each logged as the service's
    record of what it said; else from the feature table; else each id's error item."""
    if scorer.live is not None:
        return scorer.live.score_and_log(ids, now=now, lang=lang, top_k=top_k, positions=at)
    if scorer.table is not None:
        return scorer.table.score_ids(ids, lang=lang, top_k=top_k, positions=at)
    return unknown_ids(ids, at)


async def scored_json(
    scorer: Scorer,
    leads: list[Lead],
    *,
    lang: str,
    top_k: int,
    bulk: BulkScoring,
    inline_leads: int = DEFAULT_INLINE_LEADS,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> tuple[int, bytes]:
    """The status and body of the response: a few leads scored on the event loop, more in
    the bulk process (``serving.bulk.BulkScorer``), so that health checks and small
    requests are not held up behind them."""
    if len(leads) <= inline_leads and _parts(leads) <= INLINE_PARTS:
        score = partial(score_leads, scorer, leads, lang=lang, top_k=top_k, max_batch=max_batch)
        if scorer.live is None or all(lead.is_record for lead in leads):
            return 200, results_json(score())  # milliseconds of work, nothing to wait on
        # known ids read the store: in a thread, so that a slow or locked store holds up
        # this request alone, never the event loop (and /healthz with it)
        return 200, results_json(await anyio.to_thread.run_sync(score))
    return await bulk.score_leads(leads, lang=lang, top_k=top_k)


def _parts(leads: list[Lead]) -> int:
    return sum(len(lead.events or ()) + len(lead.profile or ()) for lead in leads)
