"""Webhook delivery from the outbox against a real local HTTP receiver that refuses the
first attempts and is then down for a while: every alert arrives, once per key, signed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.alerts import Webhook
from leadscore.serving.webhooks import Deliverer, retry_delay, verified, webhook_secret
from leadscore.store import outbox
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.receiver import Receiver

SECRET = b"a-shared-secret-of-32-characters"
T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(free_port(), refuse=3)
    found.start()
    yield found
    with contextlib.suppress(OSError):
        found.stop()


def _alerts(count: int) -> list[tuple[str, str, str, dict]]:
    return [
        (f"key-{i}", f"C-{i}", "to_a", {"alert_id": f"key-{i}", "score": 60 + i})
        for i in range(count)
    ]


def test_no_alert_is_lost_or_sent_twice_across_refusals_and_an_outage(
    tmp_path: Path, receiver: Receiver
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    assert outbox.enqueue(store, _alerts(5), now=T0) == 5
    assert outbox.enqueue(store, _alerts(5), now=T0) == 0  # the same causes: no new alerts
    hook = Webhook(url=f"http://127.0.0.1:{receiver.port}/hook", timeout_seconds=2)
    deliverer = Deliverer(store, hook, SECRET)

    assert deliverer.deliver_due(T0) == 2  # three refused with 503
    assert deliverer.deliver_due(T0) == 0  # the refused wait for their retry
    receiver.stop()  # the receiver is down for a while
    first_retry = T0 + retry_delay(hook, 1)
    assert deliverer.deliver_due(first_retry) == 0  # connection refused: retried later
    assert deliverer.deliver_due(first_retry + pd.Timedelta(seconds=1)) == 0  # backing off
    receiver.start()
    assert deliverer.deliver_due(first_retry + retry_delay(hook, 2)) == 3
    assert deliverer.deliver_due(T0 + pd.Timedelta(hours=1)) == 0

    keys = [headers["Idempotency-Key"] for _, headers, _ in receiver.accepted]
    assert sorted(keys) == [f"key-{i}" for i in range(5)]  # each once
    for payload, headers, body in receiver.accepted:
        assert verified(SECRET, headers, body)
        assert not verified(b"another-secret-entirely-32-chars", headers, body)
        assert payload["alert_id"] == headers["Idempotency-Key"]
    states = {s.key: s for s in outbox.alert_states(store)}
    assert all(s.delivered_at is not None for s in states.values())
    assert sorted(s.attempts for s in states.values()) == [1, 1, 3, 3, 3]


def test_two_deliverers_never_claim_one_alert(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    outbox.enqueue(store, _alerts(3), now=T0)
    first = outbox.claim_due(store, now=T0)
    second = outbox.claim_due(store, now=T0)
    assert len(first) == 3 and second == []
    later = outbox.claim_due(store, now=T0 + outbox.LEASE)  # a claimant that died: retried
    assert len(later) == 3


def test_the_wait_doubles_up_to_its_ceiling_and_the_secret_is_required() -> None:
    hook = Webhook(url="http://crm.local/hook", first_retry_seconds=2, max_retry_seconds=60)
    waits = [retry_delay(hook, n).total_seconds() for n in range(1, 8)]
    assert waits == [2, 4, 8, 16, 32, 60, 60]
    with pytest.raises(InputError, match="LEADSCORE_WEBHOOK_SECRET"):
        webhook_secret(hook, {})
    assert webhook_secret(hook, {"LEADSCORE_WEBHOOK_SECRET": SECRET.decode()}) == SECRET
