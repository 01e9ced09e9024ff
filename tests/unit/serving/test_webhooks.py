"""Webhook delivery from the outbox against a real local HTTP receiver that verifies every
delivery with the standardwebhooks package: every alert arrives, once per key, signed;
refusals and an outage are retried with jittered waits, a Retry-After is honoured, a 410
disables the endpoint without losing an alert, the retries' limit makes a dead letter that
a resend delivers, and every attempt is logged. A deliverer stopped mid-delivery is
followed by the second attempt."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from standardwebhooks import Webhook as Verifier

from leadscore.common.errors import InputError
from leadscore.decisions.alerts import Webhook
from leadscore.serving.webhooks import (
    ATTEMPT,
    WEBHOOK_ID,
    Deliverer,
    body_of,
    delivery_lease,
    new_secret,
    retry_after,
    retry_delay,
    send_test,
    verified,
    webhook_secret,
)
from leadscore.store import outbox
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.receiver import Receiver

SECRET = new_secret()
OLD_SECRET = new_secret()
T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")
ENV = "LEADSCORE_WEBHOOK_SECRET"


def _secrets(*given: str, legacy: bool = False):
    hook = Webhook(url="http://crm.local/hook", legacy_headers=legacy)
    return webhook_secret(hook, {ENV: " ".join(given)})


@contextlib.contextmanager
def _running(refuse: int = 0, delay: float = 0.0, **more) -> Iterator[Receiver]:
    found = Receiver(free_port(), refuse=refuse, delay=delay, **more)
    found.start()
    yield found
    with contextlib.suppress(OSError):
        found.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with _running(refuse=3, secrets=[SECRET]) as found:
        yield found


def _alerts(count: int) -> list[tuple[str, str, str, dict]]:
    return [
        (
            f"key-{i}",
            f"C-{i}",
            "to_a",
            {"type": "lead.grade_reached", "timestamp": "2026-12-01T09:00:00Z", "data": {"i": i}},
        )
        for i in range(count)
    ]


def _hook(port: int, **settings) -> Webhook:
    return Webhook(url=f"http://127.0.0.1:{port}/hook", timeout_seconds=2, **settings)


def _store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")


def test_no_alert_is_lost_or_sent_twice_across_refusals_and_an_outage(
    tmp_path: Path, receiver: Receiver
) -> None:
    store = _store(tmp_path)
    assert outbox.enqueue(store, _alerts(5), now=T0) == 5
    assert outbox.enqueue(store, _alerts(5), now=T0) == 0  # the same causes: no new alerts
    hook = _hook(receiver.port, jitter=0)
    deliverer = Deliverer(store, hook, _secrets(SECRET))

    assert deliverer.deliver_due(T0) == 2  # three refused with 503
    assert deliverer.deliver_due(T0) == 0  # the refused wait for their retry
    receiver.stop()  # the receiver is down for a while
    first_retry = T0 + retry_delay(hook, 1)
    assert deliverer.deliver_due(first_retry) == 0  # connection refused: retried later
    assert deliverer.deliver_due(first_retry + pd.Timedelta(seconds=1)) == 0  # backing off
    receiver.start()
    assert deliverer.deliver_due(first_retry + retry_delay(hook, 2)) == 3
    assert deliverer.deliver_due(T0 + pd.Timedelta(hours=1)) == 0

    keys = [headers[WEBHOOK_ID] for _, headers, _ in receiver.accepted]
    assert sorted(keys) == [f"key-{i}" for i in range(5)]  # each once
    assert receiver.unverified == []  # the standardwebhooks package verified every one
    for payload, headers, body in receiver.accepted:
        assert Verifier(SECRET).verify(body, headers) == payload
        assert headers["User-Agent"].startswith("leadscore/")
        assert headers["webhook-signature"].startswith("v1,")
        assert "X-Leadscore-Signature" not in headers  # no legacy headers by default
        assert body == body_of(payload)
    states = {s.key: s for s in outbox.alert_states(store)}
    assert all(s.delivered_at is not None for s in states.values())
    assert sorted(s.attempts for s in states.values()) == [1, 1, 3, 3, 3]
    # every attempt is in the delivery log: 503, no answer, 200
    log = outbox.delivery_log(store, "key-0")
    assert [(d.attempt, d.status) for d in log] == [(1, 503), (2, None), (3, 200)]
    assert log[1].error.startswith("ConnectError") and all(d.duration_ms >= 0 for d in log)
    # a retry sends the same bytes
    bodies = {b for _, h, b in receiver.accepted if h[WEBHOOK_ID] == "key-0"}
    assert len(bodies) == 1


def test_a_rotation_signs_with_both_secrets_and_a_receiver_with_the_old_one_verifies(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(2), now=T0)
    with _running(secrets=[OLD_SECRET]) as old, _running(secrets=[SECRET]) as new:
        for crm in (old, new):
            Deliverer(store, _hook(crm.port), _secrets(SECRET, OLD_SECRET)).deliver_due(T0)
            outbox.resend(store, ["key-0", "key-1"], now=T0)
    for crm in (old, new):
        assert len(crm.accepted) == 2 and crm.unverified == []
        for _, headers, _ in crm.accepted:
            assert len(headers["webhook-signature"].split(" ")) == 2  # v1,new v1,old
    with _running(secrets=[new_secret()]) as stranger:
        Deliverer(store, _hook(stranger.port), _secrets(SECRET)).deliver_due(T0)
    assert stranger.accepted == [] and sorted(stranger.unverified) == ["key-0", "key-1"]


def test_the_waits_follow_the_schedule_within_the_jitter() -> None:
    hook = Webhook(url="http://crm.local/hook")  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h ...
    rng = random.Random(7)
    for attempts, base in [(1, 5), (2, 300), (3, 1800), (4, 7200), (6, 36000), (12, 36000)]:
        waits = [retry_delay(hook, attempts, rng).total_seconds() for _ in range(500)]
        assert 0.8 * base <= min(waits) < 0.85 * base  # spread over the whole ±20 %
        assert 1.15 * base < max(waits) <= 1.2 * base
    steady = Webhook(url="http://crm.local/hook", retry_seconds=[1, 2], jitter=0)
    assert [retry_delay(steady, n).total_seconds() for n in (1, 2, 3)] == [1, 2, 2]


def test_a_retry_after_is_honoured_in_seconds_or_as_a_date_up_to_its_cap(tmp_path: Path) -> None:
    assert retry_after("120", now=T0, cap=3600) == pd.Timedelta(seconds=120)
    date = format_datetime((T0 + pd.Timedelta(minutes=10)).to_pydatetime(), usegmt=True)
    assert retry_after(date, now=T0, cap=3600) == pd.Timedelta(minutes=10)
    assert retry_after("999999", now=T0, cap=3600) == pd.Timedelta(hours=1)
    assert retry_after("soon", now=T0, cap=3600) is None
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(2), now=T0)
    answers = [(429, {"Retry-After": "7200"}), (503, {"Retry-After": "bogus"})]
    with _running(answers=answers) as crm:
        hook = _hook(crm.port, jitter=0)
        assert Deliverer(store, hook, _secrets(SECRET)).deliver_due(T0) == 0
    due = {s.key: s.next_attempt_at for s in outbox.alert_states(store)}
    assert due["key-0"] == T0 + pd.Timedelta(hours=2)  # as the 429 asked
    assert due["key-1"] == T0 + pd.Timedelta(seconds=5)  # unreadable: the schedule's wait


def test_a_410_disables_the_endpoint_and_every_alert_waits_until_it_is_enabled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(3), now=T0)
    with _running(answers=[(410, {})], secrets=[SECRET]) as crm:
        hook = _hook(crm.port)
        deliverer = Deliverer(store, hook, _secrets(SECRET))
        assert deliverer.deliver_due(T0) == 0
        assert "disabled" in caplog.text
        assert deliverer.deliver_due(T0 + pd.Timedelta(days=5)) == 0  # nothing is sent
        assert crm.requests == 1
        disabled = outbox.endpoint_disabled(store, str(hook.url))
        assert disabled is not None and "410" in disabled.reason
        assert {s.state for s in outbox.alert_states(store)} == {"waiting"}  # none lost
        assert outbox.enable_endpoint(store, str(hook.url))
        assert deliverer.deliver_due(T0 + pd.Timedelta(days=5)) == 3
    assert sorted(h[WEBHOOK_ID] for _, h, _ in crm.accepted) == ["key-0", "key-1", "key-2"]


def test_past_the_retries_limit_an_alert_is_a_dead_letter_that_a_resend_delivers(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(2), now=T0)
    with _running(refuse=100) as down:
        hook = _hook(down.port, give_up_after_hours=1, retry_seconds=[1200])
        deliverer = Deliverer(store, hook, _secrets(SECRET))
        at = T0
        for _ in range(5):  # 0, 20, 40, 60 min: the fourth attempt is the last
            deliverer.deliver_due(at)
            at += pd.Timedelta(minutes=25)
    dead = outbox.alert_states(store, "dead")
    assert [s.key for s in dead] == ["key-0", "key-1"]
    assert all(s.attempts == 4 and "give_up_after_hours" in s.dead_reason for s in dead)
    assert all(s.last_error.startswith("HTTP 503") for s in dead)
    assert len(outbox.delivery_log(store, "key-0")) == 4
    assert outbox.claim_next(store, now=at + pd.Timedelta(days=9)) is None  # never retried
    with _running(secrets=[SECRET]) as back:
        assert outbox.resend(store, dead=True, now=at) == 2
        assert Deliverer(store, _hook(back.port), _secrets(SECRET)).deliver_due(at) == 2
    assert [h[ATTEMPT] for h in back.arrived] == ["1", "1"]  # the attempts start over
    assert {s.state for s in outbox.alert_states(store)} == {"delivered"}
    outbox.enqueue(store, [("key-x", "C-x", "to_a", {"data": {}})], now=at)
    with _running(refuse=10) as again:
        deliverer = Deliverer(store, _hook(again.port, max_attempts=2), _secrets(SECRET))
        deliverer.deliver_due(at)
        deliverer.deliver_due(at + pd.Timedelta(hours=1))
    [capped] = outbox.alert_states(store, "dead")
    assert capped.key == "key-x" and "max_attempts" in capped.dead_reason


def test_the_legacy_headers_still_verify_with_the_old_check(tmp_path: Path) -> None:
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(1), now=T0)
    legacy = "a-shared-secret-of-32-characters"
    with _running(secrets=[SECRET]) as crm:
        hook = _hook(crm.port, legacy_headers=True)
        Deliverer(store, hook, webhook_secret(hook, {ENV: f"{SECRET} {legacy}"})).deliver_due(T0)
    [(payload, headers, body)] = crm.accepted
    assert verified(legacy.encode(), headers, body)  # the legacy secret signs the old header
    assert not verified(b"another-secret-entirely-32-chars", headers, body)
    assert headers["Idempotency-Key"] == "key-0" and headers["X-Leadscore-Attempt"] == "1"
    assert Verifier(SECRET).verify(body, headers) == payload  # and the standard one too
    only_legacy = webhook_secret(hook, {ENV: legacy})
    assert only_legacy.signers == () and only_legacy.legacy == legacy.encode()


def test_a_secret_not_as_the_specification_asks_is_refused_with_how_to_make_one() -> None:
    hook = Webhook(url="http://crm.local/hook")
    for wrong in ["", "a-shared-secret-of-32-characters", "whsec_c2hvcnQ=", "whsec_!!!"]:
        with pytest.raises(InputError, match="leadscore alerts secret"):
            webhook_secret(hook, {ENV: wrong})
    assert len(webhook_secret(hook, {ENV: f"{SECRET}  {OLD_SECRET}"}).signers) == 2
    with pytest.raises(InputError, match="LEADSCORE_WEBHOOK_SECRET"):
        webhook_secret(Webhook(url="http://crm.local/hook", legacy_headers=True), {ENV: "short"})


def test_a_test_event_is_signed_and_answered(tmp_path: Path) -> None:
    with _running(secrets=[SECRET]) as crm:
        key, answer = send_test(_hook(crm.port), _secrets(SECRET))
    assert answer.ok and answer.status == 200
    [(payload, headers, _)] = crm.accepted
    assert payload["type"] == "webhook.test" and headers[WEBHOOK_ID] == key


def test_two_deliverers_never_claim_one_alert(tmp_path: Path) -> None:
    store = _store(tmp_path)
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
                target=Deliverer(Store.open(url), hook, _secrets(SECRET), lease=lease).run,
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
    sent = Counter(headers[WEBHOOK_ID] for headers in slow.arrived)
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
    keys = _secrets(SECRET)
    with _running() as crm:
        hook = _hook(crm.port)
        stopping = Deliverer(
            Store.open(url), hook, keys, client=httpx.Client(transport=StopsAfterSending())
        )
        with pytest.raises(Stopped):
            stopping.deliver_due(T0)
        restarted = Deliverer(Store.open(url), hook, keys)  # a new process, the same file
        assert restarted.deliver_due(T0 + restarted.lease - pd.Timedelta(seconds=1)) == 0
        assert restarted.deliver_due(T0 + restarted.lease) == 1
    assert [(h[WEBHOOK_ID], h[ATTEMPT]) for h in crm.arrived] == [
        ("key-0", "1"),
        ("key-0", "2"),  # the same id: the receiver knows it already holds this alert
    ]
    (state,) = outbox.alert_states(Store.open(url))
    assert state.attempts == 2 and state.delivered_at == T0 + restarted.lease


def test_a_lease_outlasts_a_delivery_and_a_pass_sends_at_most_its_limit(tmp_path: Path) -> None:
    assert delivery_lease(Webhook(url="http://crm.local/hook", timeout_seconds=5)) == (
        pd.Timedelta(seconds=50)  # connect, write, read and a pooled connection's wait: 20 s
    )
    assert Webhook(url="http://crm.local/hook").timeout_seconds == 15
    store = _store(tmp_path)
    outbox.enqueue(store, _alerts(3), now=T0)
    with _running() as crm:
        deliverer = Deliverer(store, _hook(crm.port), _secrets(SECRET))
        assert deliverer.deliver_due(T0, limit=2) == 2
        assert deliverer.deliver_due(T0) == 1
    assert [h[ATTEMPT] for h in crm.arrived] == ["1", "1", "1"]


def test_the_delivery_log_is_pruned_after_its_days(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for days in (40, 31, 29, 1):
        outbox.log_delivery(
            store, outbox.Delivery("k", days, T0 - pd.Timedelta(days=days), 200, None, 3)
        )
    deliverer = Deliverer(store, Webhook(url="http://crm.local/hook"), _secrets(SECRET))
    assert deliverer.prune(T0) == 2
    assert [d.attempt for d in outbox.delivery_log(store, "k")] == [29, 1]
    assert deliverer.prune(T0 + pd.Timedelta(days=2)) == 1  # an hour on: the 29 days' went
    assert [d.attempt for d in outbox.delivery_log(store, "k")] == [1]
    outbox.log_delivery(store, outbox.Delivery("k", 99, T0 - pd.Timedelta(days=60), 200, None, 3))
    later = Deliverer(store, Webhook(url="http://crm.local/hook"), _secrets(SECRET))
    assert later.prune(T0) == 1
    assert later.prune(T0 + pd.Timedelta(minutes=30)) == 0  # at most once an hour
