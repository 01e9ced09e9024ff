"""The alerts outbox: written once per key, claimed one at a time under a lease with the
attempt counted, retried, never dropped; a claim that ran out cannot undo a newer one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.store.outbox import LEASE, alert_states, claim_next, delivered, enqueue, failed
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
    first, second = claim_next(store, now=NOW), claim_next(store, now=NOW)
    assert (first.key, second.key) == ("k2", "k1")
    assert claim_next(store, now=NOW) is None
    assert (first.customer_id, first.rule, first.payload, first.attempts) == (
        "c-k2",
        "grade_rose",
        {"key": "k2", "grade": "A"},
        1,  # the attempt is counted by its claim
    )
    assert [s.attempts for s in alert_states(store)] == [1, 1]


def test_an_alert_not_yet_due_is_not_claimed(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    assert claim_next(store, now=NOW - pd.Timedelta(seconds=1)) is None
    assert claim_next(store, now=NOW).key == "k1"


def test_a_claimed_alert_is_the_claimants_until_its_lease_runs_out(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    assert claim_next(store, now=NOW).attempts == 1
    assert claim_next(store, now=NOW + LEASE - pd.Timedelta(seconds=1)) is None
    # the claimant stopped without an outcome: the next claim is the second attempt
    assert claim_next(store, now=NOW + LEASE).attempts == 2
    short = pd.Timedelta(seconds=5)
    assert claim_next(store, now=NOW + 2 * LEASE, lease=short).attempts == 3
    assert claim_next(store, now=NOW + 2 * LEASE + short).attempts == 4


def test_a_delivered_alert_is_never_claimed_again(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    waiting = claim_next(store, now=NOW)
    assert delivered(store, waiting, now=NOW + pd.Timedelta(seconds=3))
    assert not delivered(store, waiting, now=NOW + pd.Timedelta(seconds=4))  # marked once
    assert claim_next(store, now=NOW + pd.Timedelta(days=30)) is None
    (state,) = alert_states(store)
    assert state.attempts == 1
    assert state.delivered_at == NOW + pd.Timedelta(seconds=3)
    assert state.last_error is None


def test_a_failed_attempt_is_retried_when_due_and_says_what_went_wrong(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    waiting = claim_next(store, now=NOW)
    retry_at = NOW + pd.Timedelta(minutes=10)
    assert failed(store, waiting, error="503 " + "x" * 2000, retry_at=retry_at)
    (state,) = alert_states(store)
    assert (state.attempts, state.delivered_at) == (1, None)
    assert state.last_error.startswith("503 ") and len(state.last_error) == 1000
    assert claim_next(store, now=retry_at - pd.Timedelta(seconds=1)) is None
    again = claim_next(store, now=retry_at)
    assert (again.key, again.attempts) == ("k1", 2)
    delivered(store, again, now=retry_at)
    (state,) = alert_states(store)
    assert state.attempts == 2 and state.last_error is None


def test_a_failure_from_a_claim_that_ran_out_leaves_the_newer_claim_alone(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    stale = claim_next(store, now=NOW)
    newer = claim_next(store, now=NOW + LEASE)
    assert not failed(store, stale, error="timed out", retry_at=NOW + LEASE)
    (state,) = alert_states(store)
    assert (state.attempts, state.last_error) == (2, None)
    # the newer claim's lease stands: nobody can claim the alert while it is being sent
    assert claim_next(store, now=NOW + 2 * LEASE - pd.Timedelta(seconds=1)) is None
    assert failed(store, newer, error="HTTP 503", retry_at=NOW + 3 * LEASE)
    assert alert_states(store)[0].last_error == "HTTP 503"


def test_a_2xx_from_a_claim_that_ran_out_still_marks_the_alert_delivered(store: Store) -> None:
    enqueue(store, _alerts("k1"), now=NOW)
    stale = claim_next(store, now=NOW)
    newer = claim_next(store, now=NOW + LEASE)
    assert delivered(store, stale, now=NOW + LEASE + pd.Timedelta(seconds=1))
    # the receiver holds the alert: the newer attempt failing sends it no more
    assert not failed(store, newer, error="timed out", retry_at=NOW + 2 * LEASE)
    assert not delivered(store, newer, now=NOW + LEASE + pd.Timedelta(seconds=2))
    (state,) = alert_states(store)
    assert state.delivered_at == NOW + LEASE + pd.Timedelta(seconds=1)
    assert (state.attempts, state.last_error) == (2, None)
    assert claim_next(store, now=NOW + pd.Timedelta(days=30)) is None
