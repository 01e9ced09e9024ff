"""Scores on their way to the log: queued at once, written by the queue's thread once the
store takes them (none lost while another process holds its write lock), refused with
StoreUnavailable when the queue is full, written at close."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import StoreUnavailable
from leadscore.scoring.encoded import ConversionParts, ModelInfo
from leadscore.scoring.log_queue import ScoreLogQueue
from leadscore.scoring.log_writer import ScoreLogWriter
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.score_log import score_history
from leadscore.store.store import Store

NOW = pd.Timestamp("2026-06-20 09:00", tz="UTC")


def _writer(tmp_path: Path) -> tuple[Path, ScoreLogWriter]:
    path = tmp_path / "leadscore.db"
    store = Store.open(f"sqlite:///{path}")
    ids = [f"C-{i}" for i in range(3)]
    store.put_customers(pd.DataFrame({"customer_id": ids, "created_at": NOW}), now=NOW)
    return path, ScoreLogWriter(store, ("visits",), ModelInfo("conversion", "1", "champion"))


def _entries(
    writer: ScoreLogWriter, customer_id: str, now: pd.Timestamp = NOW, probability: float = 0.4
) -> list:
    contributions = np.array([[0.5, -1.0]])
    parts = ConversionParts(
        contributions,
        contributions.sum(axis=1),
        np.array([probability]),
        np.array([round(probability * 100)]),
        np.array(["B"]),
    )
    return writer.entries([customer_id], [(3.0,)], parts, now=now, origin="request")


def test_scores_queued_while_another_process_holds_the_write_lock_are_written_after(
    tmp_path: Path,
) -> None:
    path, writer = _writer(tmp_path)
    queue = ScoreLogQueue()
    queue.start()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as a backup or a large export holds it
    try:
        clock = time.perf_counter()
        for i in range(3):
            queue.put(writer, _entries(writer, f"C-{i}"), NOW)
        assert time.perf_counter() - clock < 0.1  # the caller does not wait for the lock
        time.sleep(0.5)
        assert queue.status()["waiting"] == 3  # held, not lost
        assert score_history(writer.store, "C-0") == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert queue.flush(timeout=30)  # SQLite's busy timeout, then a retry, takes them
    assert [len(score_history(writer.store, f"C-{i}")) for i in range(3)] == [1, 1, 1]
    assert queue.status() == {
        "waiting": 0,
        "written": 3,
        "unchanged": 0,
        "failing_for_seconds": None,
        "last_error": None,
    }


def test_a_full_queue_refuses_with_retry_after_and_close_writes_what_waits(
    tmp_path: Path,
) -> None:
    _, writer = _writer(tmp_path)
    queue = ScoreLogQueue(max_entries=2)  # not started: nothing is written until close
    queue.put(writer, _entries(writer, "C-0"), NOW)
    queue.put(writer, _entries(writer, "C-1", NOW + pd.Timedelta(seconds=1), 0.5), NOW)
    with pytest.raises(StoreUnavailable, match="the score log is behind") as refused:
        queue.put(writer, _entries(writer, "C-2"), NOW)
    assert refused.value.retry_after == RETRY_AFTER_SECONDS
    queue.start()
    assert queue.close(timeout=30)
    assert [len(score_history(writer.store, f"C-{i}")) for i in range(3)] == [1, 1, 0]
    with pytest.raises(StoreUnavailable, match="stopping"):
        queue.put(writer, _entries(writer, "C-2"), NOW)


def test_a_score_that_says_what_the_newest_logged_one_says_is_not_written_again(
    tmp_path: Path,
) -> None:
    _, writer = _writer(tmp_path)
    queue = ScoreLogQueue()
    queue.start()
    for second, probability in enumerate((0.4, 0.4, 0.4, 0.45, 0.45, 0.4)):  # a CRM polling
        moment = NOW + pd.Timedelta(seconds=second)
        queue.put(writer, _entries(writer, "C-0", moment, probability), moment)
        if second == 1:
            assert queue.flush(timeout=30)  # one logged before, and the rest in one batch
    assert queue.flush(timeout=30)
    said = [entry.probability for entry in reversed(score_history(writer.store, "C-0"))]
    assert said == [0.4, 0.45, 0.4]
    assert queue.status()["written"] == 3 and queue.status()["unchanged"] == 3
    other = ScoreLogWriter(writer.store, ("visits",), ModelInfo("conversion", "2", "champion"))
    queue.put(other, _entries(other, "C-0", NOW + pd.Timedelta(minutes=1)), NOW)
    assert queue.close(timeout=30)  # a new model version saying the same is news
    assert len(score_history(writer.store, "C-0")) == 4
