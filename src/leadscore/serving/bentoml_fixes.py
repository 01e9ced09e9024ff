"""Work-arounds for BentoML 1.4 behaviour that hurts a busy scoring service.

Applied by ``leadscore.service`` before BentoML builds its app; nothing here runs on import.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import gc
import inspect
import logging
import re
import socket
from collections.abc import Iterable, Mapping

from pydantic import ValidationError
from starlette.responses import JSONResponse

log = logging.getLogger("leadscore.service")


def cancel_request_timers() -> bool:
    """Make BentoML's request-timeout middleware cancel its timer when a request ends.

    BentoML 1.4's ``TimeoutMiddleware`` schedules ``loop.call_later(timeout, ...)`` for
    every request and never cancels it, so each finished request (its task, context and
    tracing span) stays alive for the whole timeout (60 s by default). At hundreds of
    requests a second that is a million live objects, and every full garbage collection
    stalls the service for tens of milliseconds. The replacement behaves the same (a 504
    when no response has begun after ``timeout`` seconds) and drops its deadline once the
    response begins; it runs the request in the caller's task, without the extra task and
    future per request of BentoML's.
    Returns False, and changes nothing, where BentoML no longer has that middleware.
    """
    try:  # BentoML's internals: imported where they are patched, and may move
        from bentoml._internal.server.http import traffic
    except ImportError:
        return False
    middleware = getattr(traffic, "TimeoutMiddleware", None)
    if middleware is None or not hasattr(middleware, "_set_timer_out"):
        log.warning("BentoML's TimeoutMiddleware changed; request timers left as they are")
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        started = False

        async def _send(message) -> None:
            nonlocal started
            if not started:  # the response has begun: no timeout from here on
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with asyncio.timeout(self.timeout) as deadline:
                await self.app(scope, receive, _send)
        except TimeoutError:
            if not deadline.expired():  # the app's own error, not the deadline
                raise
            response = JSONResponse(
                {"error": f"Not able to process the request in {self.timeout} seconds"},
                status_code=504,
            )
            await response(scope, receive, send)

    middleware.__call__ = __call__
    return True


def trace_requests_not_messages() -> bool:
    """Keep OpenTelemetry's span for each request, drop its spans for each ASGI message.

    BentoML 1.4 wraps the app in OpenTelemetry's ASGI middleware with its defaults, which
    open a child span for every message received and sent ("http receive", "http send"):
    three spans a request, made even when no trace is sampled (BentoML's default). That
    was about 0.3 ms of CPU per one-lead request. The request span, which carries the
    request id of the access log, stays. Returns False where the middleware cannot
    exclude those spans (nothing changed then).
    """
    # loaded with BentoML's server, which this patches before it starts
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    init = OpenTelemetryMiddleware.__init__
    if getattr(init, "_leadscore_fix", False):
        return True
    if "exclude_spans" not in inspect.signature(init).parameters:
        log.warning("OpenTelemetry's ASGI middleware changed; message spans left as they are")
        return False

    @functools.wraps(init)
    def without_message_spans(self, *args, **kwargs) -> None:
        kwargs.setdefault("exclude_spans", ["receive", "send"])
        init(self, *args, **kwargs)

    without_message_spans.__dict__["_leadscore_fix"] = True  # a guard: patched once
    OpenTelemetryMiddleware.__init__ = without_message_spans
    return True


def stop_listening_first() -> bool:
    """Make BentoML's server close its listening sockets as it begins to stop, not after
    its workers have ended.

    BentoML's server (a circus arbiter) opens the socket its workers accept on, and keeps
    a copy. A worker told to stop closes its own copy at once, and lets the requests in
    flight finish; the server's copy stayed open until the last worker had ended. Until
    then the kernel kept accepting connections into a queue no one read: each such client
    waited, and got a reset (httpx: ReadError) when the server finally closed it. Closed
    first, a connection after the workers' stop is refused at once (ConnectError: nothing
    was sent, safe to try again); requests in flight still finish. Returns False, and
    changes nothing, where BentoML's arbiter is not there.
    """
    try:  # BentoML's internals: imported where they are patched, and may move
        from bentoml._internal.utils.circus import Arbiter
    except ImportError:
        return False
    original = Arbiter.stop
    if getattr(original, "_leadscore_fix", False):
        return True

    @functools.wraps(original)
    def stop(self, *args, **kwargs):
        close_network_sockets(getattr(self, "sockets", {}).values())
        return original(self, *args, **kwargs)

    stop.__dict__["_leadscore_fix"] = True
    Arbiter.stop = stop
    return True


def close_network_sockets(sockets: Iterable[socket.socket]) -> None:
    """Close the TCP sockets of ``sockets`` (a Unix socket's file stays: the services
    of one server reach each other through them until they stop)."""
    for sock in sockets:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.close()


UNKNOWN_ROUTE = "/(unknown)"


def label_unknown_routes(
    known: frozenset[str], templates: Mapping[re.Pattern[str], str] | None = None
) -> bool:
    """Count requests to paths that are no route under one ``endpoint`` label.

    A path that matches one of ``templates`` (a route with a parameter, such as a lead's
    history) is counted under the template's label instead: one series for every lead.

    BentoML 1.4's traffic metrics label each request with its raw path, so a client
    asking for random paths adds a series per path: 3,000 paths grew /metrics from 146 KB
    to 11.5 MB (3.7 s a scrape). Requests to ``known`` paths keep their own label; the
    app still sees the path as sent (and answers 404). Returns False, and changes nothing,
    where BentoML no longer has that middleware.
    """
    try:  # BentoML's internals: imported where they are patched, and may move
        from bentoml._internal.server.http.instruments import RunnerTrafficMetricsMiddleware
    except ImportError:
        return False
    original = RunnerTrafficMetricsMiddleware.__call__
    if getattr(original, "_leadscore_fix", False):
        return True

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope.get("type") != "http" or path in known:
            return await original(self, scope, receive, send)
        label = next((t for p, t in (templates or {}).items() if p.match(path)), UNKNOWN_ROUTE)
        inner = self.app

        async def as_sent(labelled, receive_, send_) -> None:
            await inner({**labelled, "path": path}, receive_, send_)

        stand_in = copy.copy(self)  # this request's own: the middleware serves many at once
        stand_in.app = as_sent
        await original(stand_in, {**scope, "path": label}, receive, send)

    __call__.__dict__["_leadscore_fix"] = True
    RunnerTrafficMetricsMiddleware.__call__ = __call__
    return True


def fixed_json_media_type(service: type) -> None:
    """Declare the JSON media type of every API's response up front.

    Without it BentoML 1.4 works the media type out for every response by generating
    the response model's whole JSON schema: about a third of the time of a one-lead
    request. The media type was application/json all along; the OpenAPI document is the
    same.
    """
    for api in service.apis.values():
        spec = api.output_spec
        if spec.media_type is None and spec.mime_type() == "application/json":
            spec.media_type = "application/json"


def refuse_unknown_fields(service: type) -> None:
    """Refuse a request body's fields that no API parameter names (400 naming each).

    BentoML builds each API's input model from its signature with pydantic's default of
    ignoring other fields: a body with ``"langauge": "de"`` was answered in English, and
    a misspelt option never said so. The OpenAPI document then says
    ``additionalProperties: false``, as it is.
    """
    for api in service.apis.values():
        spec = api.input_spec
        if spec.model_config.get("extra") != "forbid":
            spec.model_config["extra"] = "forbid"
            spec.model_rebuild(force=True)


class _ClientErrorsWithoutInputs(logging.Filter):
    """Keeps what a client sent out of the logs when BentoML logs a rejected request.

    BentoML logs every rejected request with its traceback, and pydantic's message quotes
    the offending input: customer attributes would end up in the logs. The record keeps
    the path and the kind of error, not the values.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _is_client_error(exc):
            record.msg = "%s rejected (%s); the request's values are not logged"
            record.args = (record.args[0] if record.args else "request", type(exc).__name__)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _is_client_error(exc: BaseException) -> bool:
    from bentoml.exceptions import BentoMLException  # BentoML's, where it is asked about

    if isinstance(exc, ValidationError):
        return True
    code = getattr(getattr(exc, "error_code", None), "value", 500)
    return isinstance(exc, BentoMLException) and 400 <= code < 500


def keep_inputs_out_of_logs() -> None:
    """Install the filter on BentoML's request-error logger."""
    target = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(f, _ClientErrorsWithoutInputs) for f in target.filters):
        target.addFilter(_ClientErrorsWithoutInputs())


def freeze_loaded_objects() -> None:
    """Exclude everything loaded so far (libraries, models) from garbage collection:
    long-lived objects need no scanning, and a full collection over them costs requests
    tens of milliseconds."""
    gc.collect()
    gc.freeze()
