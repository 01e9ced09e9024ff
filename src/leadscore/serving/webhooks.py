"""Webhooks to the CRM: alerts from the store's outbox, delivered until they arrive.

Each delivery is a JSON POST with an ``Idempotency-Key`` header (the alert's key, the
same on every attempt), ``X-Leadscore-Attempt`` (the attempt's number, counted in the
store when it was claimed, so it goes on across restarts), a ``X-Leadscore-Timestamp``
and ``X-Leadscore-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"``
under the shared secret (so a receiver can tell leadscore's alerts from forgeries and
refuse old ones replayed). Any answer but 2xx, or none, is retried later: the wait
doubles from ``first_retry_seconds`` up to ``max_retry_seconds``, and an alert is never
dropped. An alert is marked delivered after a 2xx, before another attempt can claim it.

Delivery is at least once: a 2xx lost on its way back, or a stop between the receiver's
answer and its mark, sends the alert again, so receivers deduplicate by its key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Mapping

import httpx
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.decisions.alerts import Webhook
from leadscore.store import outbox
from leadscore.store.store import Store

log = logging.getLogger(__name__)
SIGNATURE = "X-Leadscore-Signature"
TIMESTAMP = "X-Leadscore-Timestamp"
ATTEMPT = "X-Leadscore-Attempt"
# beyond the request: the outcome's write, a slow database, a pause of the process
LEASE_MARGIN = pd.Timedelta(seconds=30)
PASS_LIMIT = 100  # alerts a pass sends at most, so that a stop is heeded between passes


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What the signature header holds for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verified(secret: bytes, headers: Mapping[str, str], body: bytes) -> bool:
    """A receiver's check of a delivery's signature (constant time)."""
    given = headers.get(SIGNATURE) or headers.get(SIGNATURE.lower()) or ""
    stamp = headers.get(TIMESTAMP) or headers.get(TIMESTAMP.lower()) or ""
    return hmac.compare_digest(given, signature(secret, stamp, body))


def webhook_secret(webhook: Webhook, environ: Mapping[str, str] | None = None) -> bytes:
    environ = os.environ if environ is None else environ
    secret = environ.get(webhook.secret_env, "")
    if len(secret) < 16:
        raise InputError(
            f"alerts: set {webhook.secret_env} to the webhook's signing secret (16 characters "
            "or more, shared with the receiver); it never goes in the YAML"
        )
    return secret.encode()


def retry_delay(webhook: Webhook, attempts: int) -> pd.Timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    seconds = min(webhook.max_retry_seconds, webhook.first_retry_seconds * 2 ** (attempts - 1))
    return pd.Timedelta(seconds=seconds)


def delivery_lease(webhook: Webhook) -> pd.Timedelta:
    """How long a claim holds an alert: longer than one delivery can take. httpx's timeout
    bounds each step (waiting for a connection from the pool, connecting, writing, each
    read), not the whole request, and an answer to a webhook is short: four timeouts."""
    return 4 * pd.Timedelta(seconds=webhook.timeout_seconds) + LEASE_MARGIN


class Deliverer:
    """Delivers due alerts of a store's outbox to one webhook, one claim at a time (a
    claim's lease covers one delivery, not a batch waiting behind a slow receiver)."""

    def __init__(
        self,
        store: Store,
        webhook: Webhook,
        secret: bytes,
        client: httpx.Client | None = None,
        lease: pd.Timedelta | None = None,
    ) -> None:
        self.store = store
        self.webhook = webhook
        self.secret = secret
        self.client = client or httpx.Client(timeout=webhook.timeout_seconds)
        self.lease = delivery_lease(webhook) if lease is None else lease

    def deliver_due(self, now: pd.Timestamp | None = None, limit: int = PASS_LIMIT) -> int:
        """One pass over the alerts due, claimed one by one; how many were delivered.
        ``now`` fixes the clock (tests); by default each step reads it afresh, so that a
        lease starts when its alert is claimed, not when the pass began."""
        done = 0
        for _ in range(limit):
            alert = outbox.claim_next(self.store, now=_at(now), lease=self.lease)
            if alert is None:
                break
            error = self._send(alert)
            if error is None:
                outbox.delivered(self.store, alert, now=_at(now))
                done += 1
                continue
            retry_at = _at(now) + retry_delay(self.webhook, alert.attempts)
            if not outbox.failed(self.store, alert, error=error, retry_at=retry_at):
                log.warning(
                    "alert %s: attempt %d failed after its claim ran out; a later attempt "
                    "holds the alert, or delivered it",
                    alert.key,
                    alert.attempts,
                )
        return done

    def _send(self, alert: outbox.Waiting) -> str | None:
        body = json.dumps(alert.payload, ensure_ascii=False, sort_keys=True).encode()
        stamp = str(int(pd.Timestamp.now(tz="UTC").timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": alert.key,
            TIMESTAMP: stamp,
            SIGNATURE: signature(self.secret, stamp, body),
            ATTEMPT: str(alert.attempts),
        }
        try:
            answer = self.client.post(str(self.webhook.url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}: {answer.text[:300]}"

    def run(self, stop: threading.Event, every_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set (a thread of the service)."""
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # the database away for a moment: the next pass tries again
                log.exception("webhook delivery pass failed")
            stop.wait(every_seconds)


def _at(now: pd.Timestamp | None) -> pd.Timestamp:
    """``now`` where fixed, else the clock's time now."""
    return pd.Timestamp.now(tz="UTC") if now is None else now
