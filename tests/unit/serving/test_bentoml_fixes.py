"""The work-arounds for BentoML: request timers cancelled, timeouts still answered, one
trace span per request, listening sockets closed as the server begins to stop."""

from __future__ import annotations

import asyncio
import socket

import bentoml
import pytest
from bentoml._internal.server.http.traffic import TimeoutMiddleware
from bentoml._internal.utils.circus import Arbiter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError

from leadscore.serving.bentoml_fixes import (
    cancel_request_timers,
    refuse_unknown_fields,
    stop_listening_first,
    trace_requests_not_messages,
)

SCOPE = {"type": "http", "method": "POST", "path": "/score", "headers": []}


async def _receive() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


def _app(delay: float):
    async def app(scope, receive, send) -> None:
        await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def _serve(middleware: TimeoutMiddleware, requests: int) -> tuple[list[int], int]:
    async def main() -> tuple[list[int], int]:
        statuses: list[int] = []

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        for _ in range(requests):
            await middleware(SCOPE, _receive, send)
        pending = [h for h in asyncio.get_running_loop()._scheduled if not h.cancelled()]
        return statuses, len(pending)

    return asyncio.run(main())


def test_finished_requests_leave_no_timer_behind() -> None:
    assert cancel_request_timers()
    statuses, pending = _serve(TimeoutMiddleware(_app(0), timeout=60), requests=50)
    assert statuses == [200] * 50
    assert pending == 0  # BentoML's own middleware leaves 50 timers for 60 s


def test_slow_requests_still_get_a_504() -> None:
    assert cancel_request_timers()
    statuses, _ = _serve(TimeoutMiddleware(_app(5), timeout=0.05), requests=1)
    assert statuses == [504]


def test_a_response_that_has_begun_is_not_cut_off() -> None:
    async def streaming(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.1)  # longer than the timeout, after the response began
        await send({"type": "http.response.body", "body": b"{}"})

    assert cancel_request_timers()
    statuses, pending = _serve(TimeoutMiddleware(streaming, timeout=0.05), requests=1)
    assert statuses == [200] and pending == 0


def test_a_request_makes_one_span_not_one_per_message() -> None:
    def spans_of_one_request() -> list[str]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()  # samples everything
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        # as BentoML builds it: OpenTelemetry's defaults
        middleware = OpenTelemetryMiddleware(_app(0), tracer_provider=provider)
        statuses, _ = _serve(middleware, requests=1)
        assert statuses == [200]
        return [span.name for span in exporter.get_finished_spans()]

    before = spans_of_one_request()
    assert trace_requests_not_messages() and trace_requests_not_messages()  # idempotent
    after = spans_of_one_request()
    assert len(before) == 3 and len(after) == 1  # the request and its two sends; the request
    assert after[0] in before


def test_the_server_stops_listening_before_it_stops_its_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int]] = []  # the sockets' descriptors when BentoML's stop runs

    def bentoml_stop(self) -> str:  # stands in for BentoML's: stops workers, then sockets
        seen.append((self.sockets["api"].fileno(), self.sockets["unix"].fileno()))
        return "stopping"

    monkeypatch.setattr(Arbiter, "stop", bentoml_stop)  # put back after the test
    assert stop_listening_first() and stop_listening_first()  # idempotent
    with socket.socket() as tcp, socket.socket(socket.AF_UNIX) as unix:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        server = type("StandIn", (), {})()
        server.sockets = {"api": tcp, "unix": unix}
        assert Arbiter.stop(server) == "stopping"
        assert seen[0][0] == -1  # closed first: the kernel queues no connection for no one
        assert seen[0][1] >= 0  # the services' own sockets stay until they stop


def test_a_body_field_no_parameter_names_is_refused_and_the_document_says_so() -> None:
    @bentoml.service
    class Scoring:
        @bentoml.api(route="/score")
        def score(self, leads: list[int], lang: str = "en") -> dict:
            return {"lang": lang}

    spec = Scoring.apis["score"].input_spec
    assert spec.model_validate({"leads": [1], "langauge": "de"}).lang == "en"  # BentoML's
    refuse_unknown_fields(Scoring)
    with pytest.raises(ValidationError, match="langauge"):
        spec.model_validate({"leads": [1], "langauge": "de"})
    assert spec.model_validate({"leads": [1], "lang": "de"}).lang == "de"
    assert spec.model_json_schema()["additionalProperties"] is False
