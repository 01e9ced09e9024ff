"""Webhook delivery from the outbox against a real local HTTP receiver that refuses the
first attempts and is then down for a while, or is slow: every alert arrives, once per
key, signed; a deliverer stopped mid-delivery is followed by the second attempt."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.alerts import Webhook
from leadscore.serving.webhooks import (
    ATTEMPT,
    Deliverer,
    delivery_lease,
    retry_delay,
    verified,
    webhook_secret,
)
from leadscore.store import outbox
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.receiver import Receiver

SECRET = b"a-shared-secret-of-32-characters"
T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")


@contextlib.contextmanager
def _running(refuse: int = 0, delay: float = 0.0) -> Iterator[Receiver]:
    found = Receiver(free_port(), refuse=refuse, delay=delay)
    found.start()
    yield found
    with contextlib.suppress(OSError):
        found.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with _running(refuse=3) as found:
        yield found


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
    first = [outbox.claim_next(store, now=T0) for _ in range(3)]
    assert outbox.claim_next(store, now=T0) is None
    assert len({w.key for w in first}) == 3
    later = outbox.claim_next(store, now=T0 + outbox.LEASE)  # a claimant that died: retried
    assert (later.key, later.attempts) == (first[0].key, 2)


def test_a_slow_receiver_gets_each_alert_once_from_two_deliverers(tmp_path: Path) -> None:
    """Two deliverers (two processes' stores on one file) on their own clocks; the five
    deliveries take longer together than a lease, as a batch claimed at once once did."""
    url = f"sqlite:///{tmp_path / 'leadscore.db'}"
    outbox.enqueue(Store.open(url), _alerts(5), now=pd.Timestamp.now(tz="UTC"))
    lease = pd.Timedelta(seconds=2)  # longer than one delivery, shorter than five
    with _running(delay=0.5) as slow:
        hook = Webhook(url=f"http://127.0.0.1:{slow.port}/hook", timeout_seconds=1.5)
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=Deliverer(Store.open(url), hook, SECRET, lease=lease).run,
                args=(stop, 0.05),
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        store, deadline = Store.open(url), time.monotonic() + 30
        while time.monotonic() < deadline and any(
            s.delivered_at is None for s in outbox.alert_states(store)
        ):
            time.sleep(0.1)
        stop.set()  # a delivered alert is never claimed again; the joins wait out any in flight
        for thread in threads:
            thread.join()
    sent = Counter(headers["Idempotency-Key"] for headers in slow.arrived)
    assert sent == {f"key-{i}": 1 for i in range(5)}
    assert {headers[ATTEMPT] for headers in slow.arrived} == {"1"}
    states = outbox.alert_states(store)
    assert all(s.delivered_at is not None and s.attempts == 1 for s in states)


class Stopped(BaseException):
    """The service stopping (SystemExit) while a request is out."""


class StopsAfterSending(httpx.BaseTransport):
    """Sends the request, then the process stops before the answer is handled."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.real.handle_request(request).close()
        raise Stopped


def test_after_a_stop_mid_delivery_the_next_attempt_is_the_second(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadscore.db'}"
    outbox.enqueue(Store.open(url), _alerts(1), now=T0)
    with _running() as crm:
        hook = Webhook(url=f"http://127.0.0.1:{crm.port}/hook", timeout_seconds=2)
        stopping = Deliverer(
            Store.open(url), hook, SECRET, client=httpx.Client(transport=StopsAfterSending())
        )
        with pytest.raises(Stopped):
            stopping.deliver_due(T0)
        restarted = Deliverer(Store.open(url), hook, SECRET)  # a new process, the same file
        assert restarted.deliver_due(T0 + restarted.lease - pd.Timedelta(seconds=1)) == 0
        assert restarted.deliver_due(T0 + restarted.lease) == 1
    assert [(h["Idempotency-Key"], h[ATTEMPT]) for h in crm.arrived] == [
        ("key-0", "1"),
        ("key-0", "2"),  # the same key: the receiver knows it already holds this alert
    ]
    (state,) = outbox.alert_states(Store.open(url))
    assert state.attempts == 2 and state.delivered_at == T0 + restarted.lease


def test_a_lease_outlasts_a_delivery_and_a_pass_sends_at_most_its_limit(tmp_path: Path) -> None:
    assert delivery_lease(Webhook(url="http://crm.local/hook", timeout_seconds=5)) == (
        pd.Timedelta(seconds=50)  # connect, write, read and a pooled connection's wait: 20 s
    )
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    outbox.enqueue(store, _alerts(3), now=T0)
    with _running() as crm:
        deliverer = Deliverer(store, Webhook(url=f"http://127.0.0.1:{crm.port}/hook"), SECRET)
        assert deliverer.deliver_due(T0, limit=2) == 2
        assert deliverer.deliver_due(T0) == 1
    assert [h[ATTEMPT] for h in crm.arrived] == ["1", "1", "1"]


def test_the_wait_doubles_up_to_its_ceiling_and_the_secret_is_required() -> None:
    hook = Webhook(url="http://crm.local/hook", first_retry_seconds=2, max_retry_seconds=60)
    waits = [retry_delay(hook, n).total_seconds() for n in range(1, 8)]
    assert waits == [2, 4, 8, 16, 32, 60, 60]
    with pytest.raises(InputError, match="LEADSCORE_WEBHOOK_SECRET"):
        webhook_secret(hook, {})
    assert webhook_secret(hook, {"LEADSCORE_WEBHOOK_SECRET": SECRET.decode()}) == SECRET
