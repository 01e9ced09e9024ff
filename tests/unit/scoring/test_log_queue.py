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
import sqlalchemy as sa

from leadscore.common.errors import StoreUnavailable
from leadscore.decisions.alerts import AlertConfig
from leadscore.scoring import log_queue, log_writer
from leadscore.scoring.encoded import ConversionParts, ModelInfo
from leadscore.scoring.log_queue import ScoreLogQueue
from leadscore.scoring.log_writer import ScoreLogWriter
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.outbox import alert_states
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
        "dropped": 0,
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


def test_one_requests_bad_entries_are_dropped_and_counted_the_others_written(
    tmp_path: Path,
) -> None:
    _, writer = _writer(tmp_path)
    queue = ScoreLogQueue()  # not started: the three go in one group
    queue.put(writer, _entries(writer, "C-0"), NOW)
    contributions = np.array([[0.5, -1.0]])
    parts = ConversionParts(
        contributions, contributions.sum(axis=1), np.array([0.3]), np.array([30]), np.array(["C"])
    )
    unwritable = writer.entries(["C-1"], [(object(),)], parts, now=NOW, origin="request")
    queue.put(writer, unwritable, NOW)  # a feature value JSON cannot hold: a mistake
    queue.put(writer, _entries(writer, "C-2"), NOW)
    queue.start()
    assert queue.close(timeout=30)
    assert [len(score_history(writer.store, f"C-{i}")) for i in range(3)] == [1, 0, 1]
    status = queue.status()
    assert (status["written"], status["dropped"], status["unchanged"]) == (2, 1, 0)


def test_alerts_of_a_batch_tried_again_after_a_failure_between_its_writes_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain = _writer(tmp_path)
    rules = AlertConfig(
        webhook={"url": "http://127.0.0.1:9/hook"},
        rules=[{"name": "b_or_better", "kind": "grade_reached", "grade": "B"}],
    )
    writer = ScoreLogWriter(plain.store, plain.names, plain.info, rules)
    writes: list[str] = []

    def second_write_locked_once(name: str, real):  # a lock taken between the two writes
        def write(*args, **kwargs):
            writes.append(name)
            if len(writes) == 2:
                raise sa.exc.OperationalError(name, {}, Exception("database is locked"))
            return real(*args, **kwargs)

        return write

    for name in ("to_outbox", "write_scores"):
        monkeypatch.setattr(
            log_writer, name, second_write_locked_once(name, getattr(log_writer, name))
        )
    monkeypatch.setattr(log_queue, "RETRY_PAUSES", (0.01,))
    queue = ScoreLogQueue()
    queue.start()
    queue.put(writer, _entries(writer, "C-0"), NOW)  # grade B: the rule fires
    assert queue.close(timeout=30)
    assert len(writes) == 4 and len(score_history(writer.store, "C-0")) == 1
    assert [a.rule for a in alert_states(writer.store)] == ["b_or_better"]
