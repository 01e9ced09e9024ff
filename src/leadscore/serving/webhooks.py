"""Webhooks to the CRM: alerts from the store's outbox, delivered by the Standard Webhooks
specification (https://www.standardwebhooks.com), signed with its reference package.

Each delivery is a JSON POST of the alert's payload (made once, kept in the outbox: every
attempt sends the same bytes) with the specification's headers:

- ``webhook-id``: the alert's idempotency key, the same on every attempt;
- ``webhook-timestamp``: this attempt's moment, in whole seconds since 1970 (UTC);
- ``webhook-signature``: ``v1,<base64>``, the HMAC-SHA256 of ``"<id>.<timestamp>.<body>"``
  under a ``whsec_`` secret; one per secret, separated by spaces, while a rotation runs
  (the variable holds the secrets newest first), so a receiver holding either verifies;

and ``webhook-attempt`` (the attempt's number, counted in the store when it was claimed,
so it goes on across restarts) and a ``User-Agent`` of ``leadscore/<version>``. With the
webhook's ``legacy_headers`` the headers of before go too (``Idempotency-Key``,
``X-Leadscore-Attempt``, ``X-Leadscore-Timestamp``, ``X-Leadscore-Signature: sha256=<hex>``
over ``"<timestamp>.<body>"``), signed with the first secret that is not ``whsec_`` (the
one such receivers hold), else the first.

Any answer but 2xx, or none, is retried later: the wait after the n-th failed attempt is
the n-th of ``retry_seconds`` (the last repeats) within ± ``jitter``, or what a 429's or
503's ``Retry-After`` asks (up to ``max_retry_after_seconds``). An alert still undelivered
``give_up_after_hours`` after its first attempt (or after ``max_attempts``) is a dead letter,
kept until ``leadscore alerts resend``. A 410 Gone disables the endpoint: nothing is sent
until ``leadscore alerts enable``, and every alert waits meanwhile. Each attempt goes to
the delivery log. An alert is marked delivered after a 2xx, before another attempt can
claim it.

Delivery is at least once: a 2xx lost on its way back, or a stop between the receiver's
answer and its mark, sends the alert again, so receivers deduplicate by ``webhook-id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

import httpx
import pandas as pd
from standardwebhooks import Webhook as Signer

from leadscore.common.errors import InputError
from leadscore.common.time import retry_after_seconds
from leadscore.decisions.alert_payloads import PingData, PingPayload
from leadscore.decisions.alerts import Webhook, alert_key
from leadscore.store import outbox
from leadscore.store.store import Store

log = logging.getLogger(__name__)
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
ATTEMPT = "webhook-attempt"
# the headers of before Standard Webhooks (``legacy_headers``)
SIGNATURE = "X-Leadscore-Signature"
TIMESTAMP = "X-Leadscore-Timestamp"
LEGACY_ATTEMPT = "X-Leadscore-Attempt"
IDEMPOTENCY_KEY = "Idempotency-Key"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # the least a whsec_ secret holds (the specification asks 24 to 64)
LEGACY_SECRET_CHARS = 16
# beyond the request: the outcome's write, a slow database, a pause of the process
LEASE_MARGIN = pd.Timedelta(seconds=30)
PASS_LIMIT = 100  # alerts a pass sends at most, so that a stop is heeded between passes
PRUNE_EVERY = pd.Timedelta(hours=1)  # how often the deliverer prunes the delivery log
HONOURED_RETRY_AFTER = frozenset({429, 503})
GONE = 410


def user_agent() -> str:
    return f"leadscore/{metadata.version('leadscore')} (+webhooks)"


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Secrets:
    """What signs a delivery: Standard Webhooks' signers (one per ``whsec_`` secret, newest
    first) and the legacy headers' key (None: no legacy headers)."""

    signers: tuple[Signer, ...]
    legacy: bytes | None = None


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What the legacy signature header holds for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verified(secret: bytes, headers: Mapping[str, str], body: bytes) -> bool:
    """A legacy receiver's check of a delivery's ``X-Leadscore-Signature`` (constant time)."""
    given = headers.get(SIGNATURE) or headers.get(SIGNATURE.lower()) or ""
    stamp = headers.get(TIMESTAMP) or headers.get(TIMESTAMP.lower()) or ""
    return hmac.compare_digest(given, signature(secret, stamp, body))


def _whsec_bytes(secret: str) -> bytes | None:
    """The key of a ``whsec_`` secret; None where it is not one of at least SECRET_BYTES."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) >= SECRET_BYTES else None


def webhook_secret(webhook: Webhook, environ: Mapping[str, str] | None = None) -> Secrets:
    """The signing secrets of ``webhook`` from its variable; an InputError saying how to
    make one where they are missing or not as Standard Webhooks asks."""
    environ = os.environ if environ is None else environ
    given = environ.get(webhook.secret_env, "").split()
    legacy = [s for s in given if not s.startswith(SECRET_PREFIX)]
    keys = [_whsec_bytes(s) for s in given if s.startswith(SECRET_PREFIX)]
    wrong = (
        None in keys
        or not given
        or (legacy and not webhook.legacy_headers)
        or any(len(s) < LEGACY_SECRET_CHARS for s in legacy)
    )
    if wrong:
        raise InputError(
            f"alerts: set {webhook.secret_env} to the webhook's signing secret, shared with "
            f"the receiver: whsec_ and the base64 of {SECRET_BYTES} random bytes or more "
            "(make one with `leadscore alerts secret`); while a rotation runs, the new and "
            "the old one, newest first, separated by a space; it never goes in the YAML. "
            "(With legacy_headers: true a secret that is not whsec_, of "
            f"{LEGACY_SECRET_CHARS} characters or more, signs the old X-Leadscore-Signature.)"
        )
    signers = tuple(Signer(key) for key in keys if key is not None)
    if not webhook.legacy_headers:
        return Secrets(signers)
    return Secrets(signers, (legacy or given)[0].encode())


def retry_delay(webhook: Webhook, attempts: int, rng: random.Random | None = None) -> pd.Timedelta:
    """The wait after the ``attempts``-th failed attempt: its step of ``retry_seconds``
    (the last repeats), drawn within ± ``jitter`` of it so that alerts failed together
    spread out."""
    steps = webhook.retry_seconds
    base = steps[min(attempts, len(steps)) - 1]
    share = (rng or random).uniform(1 - webhook.jitter, 1 + webhook.jitter)
    return pd.Timedelta(seconds=base * share)


def retry_after(value: str | None, *, now: pd.Timestamp, cap: float) -> pd.Timedelta | None:
    """A ``Retry-After`` header's wait (seconds, or an HTTP date), up to ``cap`` seconds;
    None where there is none, or it cannot be read."""
    seconds = retry_after_seconds(value, now)
    return None if seconds is None else pd.Timedelta(seconds=min(seconds, cap))


def delivery_lease(webhook: Webhook) -> pd.Timedelta:
    """How long a claim holds an alert: longer than one delivery can take. httpx's timeout
    bounds each step (waiting for a connection from the pool, connecting, writing, each
    read), not the whole request, and an answer to a webhook is short: four timeouts."""
    return 4 * pd.Timedelta(seconds=webhook.timeout_seconds) + LEASE_MARGIN


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP status (None: no answer, ``error`` says why)."""

    status: int | None
    error: str | None
    duration_ms: int
    retry_after: str | None = None
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def headers_for(
    secrets_: Secrets, key: str, body: bytes, attempt: int, *, at: float | None = None
) -> dict[str, str]:
    """The headers of one attempt of ``body`` under ``key``, signed as of ``at`` (the clock's
    time by default: receivers refuse a timestamp more than minutes away from theirs)."""
    stamp = int(time.time() if at is None else at)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent(),
        WEBHOOK_ID: key,
        WEBHOOK_TIMESTAMP: str(stamp),
        ATTEMPT: str(attempt),
    }
    if secrets_.signers:
        when = datetime.fromtimestamp(stamp, tz=UTC)
        headers[WEBHOOK_SIGNATURE] = " ".join(s.sign(key, when, body) for s in secrets_.signers)
    if secrets_.legacy is not None:
        headers[IDEMPOTENCY_KEY] = key
        headers[LEGACY_ATTEMPT] = str(attempt)
        headers[TIMESTAMP] = str(stamp)
        headers[SIGNATURE] = signature(secrets_.legacy, str(stamp), body)
    return headers


def body_of(payload: dict) -> bytes:
    """The bytes sent of a stored payload (the same on every attempt)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def post(
    client: httpx.Client, url: str, secrets_: Secrets, key: str, payload: dict, attempt: int
) -> Answer:
    """One signed attempt of ``payload`` to ``url``."""
    body = body_of(payload)
    headers = headers_for(secrets_, key, body, attempt)
    started = time.monotonic()
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        took = int((time.monotonic() - started) * 1000)
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500], took)
    took = int((time.monotonic() - started) * 1000)
    text = answer.text[:300]
    error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}: {text}"
    return Answer(answer.status_code, error, took, answer.headers.get("Retry-After"), text)


def send_test(
    webhook: Webhook, secrets_: Secrets, client: httpx.Client | None = None
) -> tuple[str, Answer]:
    """Sends a signed ``webhook.test`` event to the webhook at once (not through the
    outbox); its id and the receiver's answer."""
    now = pd.Timestamp.now(tz="UTC")
    key = alert_key("webhook.test", now.value)
    payload = PingPayload(
        timestamp=now.to_pydatetime(), data=PingData(message="a test of leadscore's webhook")
    ).model_dump(mode="json")
    client = client or httpx.Client(timeout=webhook.timeout_seconds)
    return key, post(client, str(webhook.url), secrets_, key, payload, 1)


class Deliverer:
    """Delivers due alerts of a store's outbox to one webhook, one claim at a time (a
    claim's lease covers one delivery, not a batch waiting behind a slow receiver)."""

    def __init__(
        self,
        store: Store,
        webhook: Webhook,
        secret: Secrets,
        client: httpx.Client | None = None,
        lease: pd.Timedelta | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.webhook = webhook
        self.secrets = secret
        self.url = str(webhook.url)
        self.client = client or httpx.Client(timeout=webhook.timeout_seconds)
        self.lease = delivery_lease(webhook) if lease is None else lease
        self.rng = rng or random.Random()
        self._said_disabled = False
        self._pruned_at: pd.Timestamp | None = None

    def deliver_due(self, now: pd.Timestamp | None = None, limit: int = PASS_LIMIT) -> int:
        """One pass over the alerts due, claimed one by one; how many were delivered.
        ``now`` fixes the clock (tests); by default each step reads it afresh, so that a
        lease starts when its alert is claimed, not when the pass began. Nothing is sent
        while the endpoint is disabled (it answered 410 Gone)."""
        if self._disabled():
            return 0
        done = 0
        for _ in range(limit):
            alert = outbox.claim_next(self.store, now=_at(now), lease=self.lease)
            if alert is None:
                break
            answer = post(
                self.client, self.url, self.secrets, alert.key, alert.payload, alert.attempts
            )
            at = _at(now)
            outbox.log_delivery(
                self.store,
                outbox.Delivery(
                    alert.key, alert.attempts, at, answer.status, answer.error, answer.duration_ms
                ),
            )
            if answer.ok:
                outbox.delivered(self.store, alert, now=at)
                done += 1
            elif answer.status == GONE:
                self._gone(alert, answer, at)
                break
            elif not self._failed(alert, answer, at):
                log.warning(
                    "alert %s: attempt %d failed after its claim ran out; a later attempt "
                    "holds the alert, or delivered it",
                    alert.key,
                    alert.attempts,
                )
        return done

    def _failed(self, alert: outbox.Waiting, answer: Answer, now: pd.Timestamp) -> bool:
        """A failed attempt: retried later, or given up on; False where the claim is stale."""
        error = answer.error or "failed"
        reason = self._given_up(alert, now)
        if reason is not None:
            taken = outbox.give_up(self.store, alert, error=error, reason=reason, now=now)
            if taken:
                log.error("alert %s is a dead letter: %s; last error %s", alert.key, reason, error)
            return taken
        wait = None
        if answer.status in HONOURED_RETRY_AFTER:
            wait = retry_after(
                answer.retry_after, now=now, cap=self.webhook.max_retry_after_seconds
            )
        if wait is None:
            wait = retry_delay(self.webhook, alert.attempts, self.rng)
        return outbox.failed(self.store, alert, error=error, retry_at=now + wait)

    def _given_up(self, alert: outbox.Waiting, now: pd.Timestamp) -> str | None:
        """Why the alert is given up on after this failed attempt, else None."""
        hook = self.webhook
        if hook.max_attempts is not None and alert.attempts >= hook.max_attempts:
            return f"{alert.attempts} attempts failed (max_attempts)"
        first = alert.first_attempt_at or now
        if now - first >= pd.Timedelta(hours=hook.give_up_after_hours):
            return (
                f"undelivered {hook.give_up_after_hours:g} h after its first attempt "
                f"({alert.attempts} attempts; give_up_after_hours)"
            )
        return None

    def _gone(self, alert: outbox.Waiting, answer: Answer, now: pd.Timestamp) -> None:
        """The receiver answered 410 Gone: the endpoint is disabled, the alert waits."""
        reason = f"the receiver answered 410 Gone to alert {alert.key}: {answer.text}"[:1000]
        outbox.disable_endpoint(self.store, self.url, reason=reason, now=now)
        outbox.failed(self.store, alert, error=answer.error or "HTTP 410", retry_at=now)
        log.error(
            "webhook %s disabled: %s; alerts wait until `leadscore alerts enable`",
            self.url,
            reason,
        )
        self._said_disabled = True

    def _disabled(self) -> bool:
        disabled = outbox.endpoint_disabled(self.store, self.url)
        if disabled is None:
            self._said_disabled = False
            return False
        if not self._said_disabled:
            log.error(
                "webhook %s is disabled since %s (%s); alerts wait until `leadscore alerts enable`",
                self.url,
                disabled.at,
                disabled.reason,
            )
            self._said_disabled = True
        return True

    def prune(self, now: pd.Timestamp | None = None) -> int:
        """Prunes the delivery log, at most once every PRUNE_EVERY; how many rows went."""
        at = _at(now)
        if self._pruned_at is not None and at - self._pruned_at < PRUNE_EVERY:
            return 0
        self._pruned_at = at
        return outbox.prune_deliveries(self.store, now=at)

    def run(self, stop: threading.Event, every_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set (a thread of the service)."""
        while not stop.is_set():
            try:
                self.deliver_due()
                self.prune()
            except Exception:  # the database away for a moment: the next pass tries again
                log.exception("webhook delivery pass failed")
            stop.wait(every_seconds)


def _at(now: pd.Timestamp | None) -> pd.Timestamp:
    """``now`` where fixed, else the clock's time now."""
    return pd.Timestamp.now(tz="UTC") if now is None else now
