"""The write-back outbox: claims, windows over the score log (superseded scores and
missing seqs), and records left behind."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema, writeback
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store

T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")
LEASE = pd.Timedelta(minutes=1)


def _log(store: Store, *customers: str) -> None:
    write_scores(
        store,
        [
            LoggedScore(c, T0, "rescore", "m", "1", 0.5, 50, "B", 0.0, -1.0, ("x",), (0.1,), (1.0,))
            for c in customers
        ],
    )


def test_a_claim_is_one_deliverers_until_its_lease_runs_out(database: str) -> None:
    store = Store.open(database)
    held = writeback.claim(store, "hs", now=T0, lease=LEASE)
    assert held is not None and held.through_seq == 0
    assert writeback.claim(store, "hs", now=T0 + pd.Timedelta(seconds=59), lease=LEASE) is None
    assert writeback.claim(store, "other", now=T0, lease=LEASE) is not None
    later = writeback.claim(store, "hs", now=T0 + LEASE, lease=LEASE)
    assert later is not None and later.token == held.token + 1
    assert not writeback.refused(store, held, error="stale", retry_at=T0)  # lost its claim
    assert writeback.refused(store, later, error="HTTP 503", retry_at=T0 + 2 * LEASE)
    assert writeback.claim(store, "hs", now=T0 + LEASE, lease=LEASE) is None  # backing off


def test_a_window_skips_superseded_scores_and_stops_at_a_missing_seq(database: str) -> None:
    store = Store.open(database)
    _log(store, "C-1", "C-2", "C-1", "C-3", "C-4", "C-5")  # seqs 1-6; seq 1 superseded by 3
    window = writeback.window(store, after=0, limit=3)
    assert (window.seqs, window.through_seq, window.gap) == ([2, 3, 4], 4, None)
    with store.engine.begin() as connection:
        connection.execute(schema.scores.delete().where(schema.scores.c.seq == 5))
    window = writeback.window(store, after=4, limit=3)
    assert (window.seqs, window.through_seq, window.gap) == ([], 4, 5)
    settled = writeback.window(store, after=4, limit=3, settled_through=5)
    assert (settled.seqs, settled.through_seq) == ([6], 6)


def test_records_left_behind_wait_their_turn_and_a_newer_score_settles_them(database: str) -> None:
    store = Store.open(database)
    _log(store, "C-1", "C-2", "C-1")
    held = writeback.claim(store, "sf", now=T0, lease=LEASE)
    wait = lambda attempts: pd.Timedelta(seconds=10 * attempts)  # noqa: E731
    outcomes = [("C-1", 1, "retry", "locked"), ("C-2", 2, "dead", "deleted")]
    assert writeback.finish(
        store, held, through_seq=2, outcomes=outcomes, now=T0, retry_delay=wait, max_attempts=2
    )
    assert writeback.due_retries(store, "sf", now=T0 + pd.Timedelta(seconds=9), limit=10) == []
    assert writeback.due_retries(store, "sf", now=T0 + pd.Timedelta(seconds=10), limit=10) == [
        ("C-1", 1)
    ]
    held = writeback.claim(store, "sf", now=T0, lease=LEASE)
    assert writeback.finish(
        store,
        held,
        through_seq=3,
        outcomes=[("C-1", 3, "sent", None)],
        now=T0,
        retry_delay=wait,
        max_attempts=2,
    )
    [state] = writeback.states(store, ["sf"])
    assert (state.through_seq, state.backlog, state.waiting, state.dead, state.sent) == (
        3,
        0,
        0,
        1,
        1,
    )
    with store.engine.connect() as connection:
        assert (
            connection.scalar(sa.select(sa.func.count()).select_from(schema.writeback_retries)) == 1
        )
