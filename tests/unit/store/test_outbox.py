"""The alerts outbox: written once per key, claimed under a lease, retried, never dropped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.store.outbox import LEASE, alert_states, claim_due, delivered, enqueue, failed
from leadscore.store.store import Store

NOW = pd.Timestamp("2026-06-29 12:00", tz="UTC")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'outbox.db'}")


def _alerts(*keys: str) -> list[tuple[str, str, str, dict]]:
    return [(key, f"c-{key}", "grade_rose", {"key": key, "grade": "A"}) for key in keys]


def test_an_alert_is_written_once_under_its_key(store: Store) -> None:
    assert enqueue(store, _alerts("k1", "k2"), now=NOW) == 2
    assert enqueue(store, _alerts("k2", "k3"), now=NOW) == 1
    assert enqueue(store, [], now=NOW) == 0
    assert [s.key for s in alert_states(store)] == ["k1", "k2", "k3"]


def test_due_alerts_are_claimed_oldest_first_with_what_they_carry(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    enqueue(store, _alerts("k2"), now=NOW - pd.Timedelta(minutes=1))
    claimed = claim_due(store, now=NOW)
    assert [w.key for w in claimed] == ["k2", "k1"]
    first = claimed[0]
    assert (first.customer_id, first.rule, first.payload, first.attempts) == (
        "c-k2",
        "grade_rose",
        {"key": "k2", "grade": "A"},
        0,
    )


def test_an_alert_not_yet_due_is_not_claimed(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    assert claim_due(store, now=NOW - pd.Timedelta(seconds=1)) == []
    assert [w.key for w in claim_due(store, now=NOW)] == ["k1"]


def test_a_claimed_alert_is_the_claimants_until_its_lease_runs_out(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    assert len(claim_due(store, now=NOW)) == 1
    assert claim_due(store, now=NOW + LEASE - pd.Timedelta(seconds=1)) == []
    assert [w.key for w in claim_due(store, now=NOW + LEASE)] == ["k1"]


def test_claims_take_at_most_the_limit(store: Store) -> None:
    enqueue(store, _alerts(*(f"k{i}" for i in range(5))), now=NOW)
    assert len(claim_due(store, now=NOW, limit=3)) == 3
    assert [w.key for w in claim_due(store, now=NOW)] == ["k3", "k4"]


def test_a_delivered_alert_is_never_claimed_again(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    (waiting,) = claim_due(store, now=NOW)
    delivered(store, waiting.seq, now=NOW + pd.Timedelta(seconds=3))
    assert claim_due(store, now=NOW + pd.Timedelta(days=30)) == []
    (state,) = alert_states(store)
    assert state.attempts == 1
    assert state.delivered_at == NOW + pd.Timedelta(seconds=3)
    assert state.last_error is None


def test_a_failed_attempt_is_retried_when_due_and_says_what_went_wrong(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    (waiting,) = claim_due(store, now=NOW)
    retry_at = NOW + pd.Timedelta(minutes=10)
    failed(store, waiting.seq, error="503 " + "x" * 2000, retry_at=retry_at)
    (state,) = alert_states(store)
    assert (state.attempts, state.delivered_at) == (1, None)
    assert state.last_error.startswith("503 ") and len(state.last_error) == 1000
    assert claim_due(store, now=retry_at - pd.Timedelta(seconds=1)) == []
    (again,) = claim_due(store, now=retry_at)
    assert (again.key, again.attempts) == ("k1", 1)
    delivered(store, again.seq, now=retry_at)
    (state,) = alert_states(store)
    assert state.attempts == 2 and state.last_error is None
