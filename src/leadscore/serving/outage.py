"""The service while its store is away: whether it is (a probe in a thread of its own,
which ``/readyz`` reads), and 503 with ``Retry-After`` for a request that meets it.

A probe found PostgreSQL stopped for 15 s answered by 30 of 30 ``/score`` and ``/events``
requests with 500 while ``/readyz`` said ready: a load balancer kept sending them.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.outage import (
    OUTAGES,
    RETRY_AFTER_SECONDS,
    driver_said,
    is_outage,
    told,
    unavailable,
)
from leadscore.store.store import Store

log = logging.getLogger("leadscore.service")

PROBE_SECONDS = 1.0  # how often the store is asked: /readyz is this far behind at most


class StoreProbe:
    """Asks the store for a row every ``every`` seconds; ``status`` says whether it
    answered last time (and since when it does not)."""

    def __init__(self, store: Store, *, every: float = PROBE_SECONDS) -> None:
        self.store = store
        self.every = every
        self._down_since: float | None = None
        self._error: str | None = None

    def start(self, stopping: threading.Event) -> None:
        """Check now (the first answer is there when this returns), then in a thread
        until ``stopping`` is set."""
        self.check()
        threading.Thread(
            target=self._run, args=(stopping,), name="store-probe", daemon=True
        ).start()

    def check(self) -> bool:
        """Ask the store once; whether it answered."""
        try:
            with self.store.engine.connect() as connection:
                # a read of a table, not SELECT 1: SQLite answers that without its file
                connection.execute(sa.select(schema.customers.c.customer_id).limit(1)).all()
        except Exception as exc:  # down, unreachable, its file gone: not ready
            if self._down_since is None:  # said once, not at every probe while it lasts
                log.warning("the store does not answer: %s", driver_said(exc))
                self._down_since = time.monotonic()
            # /readyz is open to anyone: never the driver's text, which names host or file
            self._error = (
                str(told(exc))
                if is_outage(exc)
                else f"the store cannot be read ({type(exc).__name__}; see the service's log)"
            )
            ok = False
        else:
            if self._down_since is not None:
                log.warning("the store answers again")
            self._down_since, self._error = None, None
            ok = True
        return ok

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    def status(self) -> dict:
        down = self._down_since
        return {
            "reachable": down is None,
            "down_for_seconds": None if down is None else round(time.monotonic() - down, 1),
            "error": self._error,
        }

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.wait(self.every):
            self.check()


def unavailable_body(error: BaseException) -> tuple[bytes, int]:
    """The JSON body of a 503 for ``error`` (an outage of the store), and the seconds its
    ``Retry-After`` names."""
    found = unavailable(error)
    return json.dumps({"error": str(found)}).encode(), found.retry_after


class StoreOutageMiddleware:
    """ASGI middleware: a request that meets the store down or locked (an exception of
    ``leadscore.store.outage.OUTAGES`` out of the app before it answered) gets 503 with
    ``Retry-After``, not the 500 of an error nobody expected; any 503 the app answers
    itself gets ``Retry-After`` too."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if message["status"] == 503 and not any(
                    k.lower() == b"retry-after" for k, _ in headers
                ):
                    headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except OUTAGES as exc:
            if started:  # too late to answer otherwise: the server closes the connection
                raise
            body, retry = unavailable_body(exc)
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
