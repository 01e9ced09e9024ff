"""The nightly rescore: every known customer of the store scored into the score log as
of one moment, batch by batch, with the alerts its rules make.

The next batches are read and built while one is scored and the one before written to the
log. On SQLite two forked processes read and build in turn: SQLite's driver holds the
interpreter while it makes its rows, so a thread reading beside the job would take turns
with it rather than run beside it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from functools import partial

import pandas as pd

from leadscore.common.errors import InputError
from leadscore.scoring.live import BuiltLeads, LiveScorer
from leadscore.store.forked import ForkedWorker, can_fork

Advance = Callable[[int], None]  # told how many more customers are done
Batches = Iterator[tuple[Sequence[str], BuiltLeads | None]]


@dataclass(frozen=True)
class Rescored:
    """What a rescore did: leads scored into the log, and alerts new to the outbox."""

    leads: int
    alerts: int


def rescore(
    live: LiveScorer,
    customer_ids: Sequence[str],
    *,
    now: pd.Timestamp,
    batch_size: int = 2_000,
    advance: Advance = lambda _: None,
) -> Rescored:
    """Score the customers of ``customer_ids`` the store holds as of ``now`` into the
    score log (with the alerts its rules make), batch by batch, as the nightly job does.
    Nothing is explained, offered or trended, as nobody reads it, and nothing is kept: a
    rescore's features would be stale long before most leads' next request. ``advance``
    hears how many customers each batch covered."""
    if live.pure.conversion is None:
        raise InputError("a rescore needs a store and a conversion model")
    batches = [
        customer_ids[start : start + batch_size]
        for start in range(0, len(customer_ids), batch_size)
    ]
    store = live.store
    forked = len(batches) > 1 and store.engine.dialect.name == "sqlite" and can_fork()
    built = _built_forked(live, batches, now) if forked else _built_aside(live, batches, now)
    # the next batches are read and built while this one is scored and the last one
    # written to the log; a batch or two wait at each stage at most
    done = alerts = 0
    with closing(built), ThreadPoolExecutor(1, thread_name_prefix="rescore-write") as writer:
        written = None
        for batch, one in built:
            if one is not None:
                parts = live.pure.conversion_parts(one.leads.conversion_rows)
                if written is not None:
                    alerts += written.result()
                written = writer.submit(
                    live.log.write, one.ids, one.values, parts, now=now, origin="rescore"
                )
                done += len(one.ids)
            advance(len(batch))
        if written is not None:
            alerts += written.result()
    return Rescored(done, alerts)


def rescore_store(
    live: LiveScorer,
    *,
    now: pd.Timestamp,
    batch_size: int,
    advance: Advance = lambda _: None,
) -> Rescored:
    """Score every customer in the live scorer's store that came in by ``now`` into the
    score log as of ``now`` (with the alerts its rules make), in batches. A lead created
    after ``now`` has no score then (a rescore as of last week scored it as it was not)."""
    created = live.store.created_at(live.store.customer_ids())
    ids = created.index[(created <= now).to_numpy()].tolist()
    return rescore(live, ids, now=now, batch_size=batch_size, advance=advance)


def _built_aside(live: LiveScorer, batches: list[Sequence[str]], now: pd.Timestamp) -> Batches:
    """Each batch with what ``live.built`` made of it, the next one made in a thread
    (drivers other than SQLite's leave the interpreter while they wait)."""
    stage = partial(live.built, now=now)
    with ThreadPoolExecutor(1, thread_name_prefix="rescore-read") as reader:
        pending = reader.submit(stage, batches[0]) if batches else None
        for k, batch in enumerate(batches):
            assert pending is not None  # one is submitted ahead of every batch
            built = pending.result()
            pending = reader.submit(stage, batches[k + 1]) if k + 1 < len(batches) else None
            yield batch, built


def _built_forked(live: LiveScorer, batches: list[Sequence[str]], now: pd.Timestamp) -> Batches:
    """Each batch with what ``live.built`` made of it, made by two forked processes in
    turn. (Scoring stays in the job: LightGBM's OpenMP may not run in a child forked after
    it ran; and a child writing the log gained nothing over the thread.)"""
    stage = partial(live.built, now=now)
    with ExitStack() as stack:
        builders = [stack.enter_context(ForkedWorker(stage, live.store.engine)) for _ in range(2)]
        reading = stack.enter_context(ThreadPoolExecutor(2, thread_name_prefix="rescore-read"))
        ahead = deque(reading.submit(builders[k], batches[k]) for k in range(2))
        for k, batch in enumerate(batches):
            built = ahead.popleft().result()
            if k + 2 < len(batches):
                ahead.append(reading.submit(builders[k % 2], batches[k + 2]))
            yield batch, built
