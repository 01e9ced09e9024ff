"""Work on a SQLite store in a forked process: the same answers as in this one, failures
told with the child's traceback, and the parent's connections left working."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.store.forked import ForkedWorker, can_fork
from leadscore.store.store import Store

pytestmark = pytest.mark.skipif(not can_fork(), reason="this platform cannot fork")
NOW = pd.Timestamp("2026-11-02 09:00", tz="UTC")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    customers = pd.DataFrame(
        {
            "customer_id": [f"C-{i}" for i in range(50)],
            "created_at": pd.date_range("2026-01-01", periods=50, freq="D", tz="UTC"),
            "industry": ["retail", "finance"] * 25,
        }
    )
    store.put_customers(customers, now=NOW)
    return store


def _read_with_pid(store: Store, ids: list[str]) -> tuple[int, pd.DataFrame]:
    return os.getpid(), store.customers(ids)


def test_the_child_answers_as_this_process_would(store: Store) -> None:
    ids = [f"C-{i}" for i in range(0, 50, 3)]
    with ForkedWorker(lambda batch: _read_with_pid(store, batch), store.engine) as reader:
        pid, there = reader(ids)
        again_pid, _ = reader(ids[:2])
    assert pid != os.getpid() and again_pid == pid  # one child, asked twice
    pd.testing.assert_frame_equal(there, store.customers(ids))
    # the parent's pool still works after the child went
    assert len(store.customers(["C-1"])) == 1


def test_a_failure_in_the_child_is_raised_here_with_its_traceback(store: Store) -> None:
    def fussy(batch: list[str]) -> pd.DataFrame:
        if "C-1" in batch:
            raise ValueError(f"no such batch: {batch}")
        return store.customers(batch)

    with ForkedWorker(fussy, store.engine) as reader:
        with pytest.raises(InputError, match=r"(?s)worker process.*ValueError: no such batch"):
            reader(["C-1"])
        assert len(reader(["C-2"])) == 1  # the child goes on answering


def test_closing_stops_the_child(store: Store) -> None:
    reader = ForkedWorker(store.customers, store.engine)
    reader(["C-3"])
    reader.close()
    assert not reader._process.is_alive() and reader._process.exitcode == 0
