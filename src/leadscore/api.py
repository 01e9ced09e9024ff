"""The HTTP contract (pydantic models), API-key checking, and the model state the service
serves from, with hot swapping of new champions.

Wired into BentoML by ``serving/service.py``; nothing here depends on BentoML.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadscore.errors import InputError

log = logging.getLogger("leadscore.service")
MAX_BATCH = int(os.environ.get("LEADSCORE_MAX_BATCH", "1000"))
# Up to this many leads a request is scored on the event loop: a few leads take less time
# than handing them to a worker thread and back (and contending for the GIL there) costs.
INLINE_LEADS = int(os.environ.get("LEADSCORE_INLINE_LEADS", "16"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Event(_Strict):
    ts: str = Field(description="ISO 8601 timestamp, with offset or in UTC")
    event_type: str = Field(min_length=1)
    channel: str | None = None
    offer_id: str | None = None
    value: float | None = None
    campaign: str | None = None


class Lead(_Strict):
    """A known customer by id, or a full record: profile attributes plus recent events."""

    customer_id: str | None = Field(None, min_length=1, max_length=200)
    created_at: str | None = Field(None, description="when the lead came in (ISO 8601)")
    profile: dict[str, str | float | int | bool | None] | None = None
    events: list[Event] | None = Field(None, max_length=10_000)

    @model_validator(mode="after")
    def _id_or_record(self) -> Lead:
        if self.customer_id is None and self.profile is None and self.events is None:
            raise ValueError("a lead needs a customer_id, or a profile and/or events")
        return self

    @property
    def is_record(self) -> bool:
        return self.profile is not None or self.events is not None


class ScoreRequest(_Strict):
    """The body of ``POST /score``."""

    leads: list[Lead] = Field(min_length=1, max_length=MAX_BATCH)
    lang: Literal["de", "en"] = "en"
    top_k: int = Field(5, ge=0, le=50)


class Reason(BaseModel):
    feature: str
    value: Any = None
    impact: float
    direction: Literal["up", "down"]
    text: str


class Offer(BaseModel):
    offer_id: str
    name: str
    kind: Literal["product", "nurture"]
    propensity: float
    expected_value: float
    reasons: list[Reason]


class ModelRef(BaseModel):
    name: str
    version: str
    alias: str


class LeadResult(BaseModel):
    customer_id: str | None
    probability: float
    score: int
    grade: Literal["A", "B", "C", "D"]
    reasons: list[Reason]
    next_best_offers: list[Offer]
    model: ModelRef


_RESULT_FIELDS = tuple(LeadResult.model_fields)


def results_json(results: list[dict]) -> bytes:
    """The response body: each result's ``LeadResult`` fields, written by pydantic-core.

    The Scorer's results are not validated once more on the way out: that cost 40 % of a
    1,000-lead request (BentoML's own path, which also dumps them to Python objects twice
    and writes them with the json module, cost more). Tests check the Scorer's results
    against ``LeadResult`` and, with schemathesis, the responses against the OpenAPI
    document.
    """
    body = [{name: result[name] for name in _RESULT_FIELDS} for result in results]
    return pydantic_core.to_json(body, inf_nan_mode="null")


def api_keys() -> set[str]:
    """Keys from LEADSCORE_API_KEYS (comma-separated) and/or LEADSCORE_API_KEYS_FILE."""
    keys = {k.strip() for k in os.environ.get("LEADSCORE_API_KEYS", "").split(",") if k.strip()}
    path = os.environ.get("LEADSCORE_API_KEYS_FILE")
    if path:
        keys |= {line.strip() for line in Path(path).read_text().splitlines() if line.strip()}
    return keys


def authorized(header: str | None, keys: set[str]) -> bool:
    """Constant-time check of 'Bearer <key>' against every configured key."""
    if not header or not header.startswith("Bearer ") or not keys:
        return False
    given = header[len("Bearer ") :].encode()
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return any(matches)


class ApiKeyMiddleware:
    """ASGI middleware: 401 on protected routes without a valid bearer key; keys are never
    logged. Health, readiness, metrics and the API docs stay open."""

    OPEN = ("/healthz", "/readyz", "/livez", "/metrics", "/docs", "/docs.json", "/model-status")

    def __init__(self, app, keys: set[str] | None = None) -> None:
        self.app = app
        self.keys = api_keys() if keys is None else keys

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self._open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        header = headers.get(b"authorization", b"").decode("latin-1") or None
        if authorized(header, self.keys):
            await self.app(scope, receive, send)
            return
        body = b'{"error": "missing or invalid API key: send Authorization: Bearer <key>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _open(self, path: str) -> bool:
        return path == "/" or any(path.startswith(p) for p in self.OPEN)


class FieldErrorsMiddleware:
    """Rewrites BentoML's 400 bodies so that ``detail`` is one readable string naming each
    field ("leads.0.customer_id: ..."), as the service's OpenAPI document declares it
    (BentoML documents a string but sends pydantic's list)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 400:
                    start["pass"] = True
                    await send(message)
                    return
                start.update(message)
                return
            if start.get("pass"):
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = _readable_detail(b"".join(chunks))
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


class ReadinessMiddleware:
    """ASGI middleware: where BentoML's ``/readyz`` answers ready, the body says which
    model versions serve and why the last reload failed, if it did (the service keeps
    serving the old models then, so it stays ready)."""

    def __init__(self, app, status: Callable[[], dict | None]) -> None:
        self.app = app
        self.status = status

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/readyz":
            await self.app(scope, receive, send)
            return
        answer: dict = {}

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                answer["start"] = message
            elif not message.get("more_body"):
                answer["body"] = message.get("body", b"")

        await self.app(scope, receive, capture)
        start, status = answer["start"], self.status()
        if start["status"] != 200 or status is None:
            await send(start)
            await send({"type": "http.response.body", "body": answer.get("body", b"")})
            return
        body = json.dumps(status).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _readable_detail(body: bytes) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if isinstance(payload, list):  # errors raised inside the API arrive as a list
        errors = [e.get("error", str(e)) if isinstance(e, dict) else str(e) for e in payload]
        payload = {"error": "; ".join(errors)}
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, list):
        parts = []
        for error in detail:
            where = ".".join(str(p) for p in error.get("loc", []))
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        payload["detail"] = "; ".join(parts)
    return json.dumps(payload).encode()


@dataclass
class ServingState:
    """The Scorer in use, swapped atomically when a new champion appears."""

    scorer: Any
    versions: dict[str, str]
    last_error: str | None = None
    checked_at: float = 0.0

    def status(self) -> dict:
        return {
            "ready": self.scorer is not None,
            "models": self.versions,
            "last_reload_error": self.last_error,
        }


class ModelWatcher:
    """Loads the champions, and keeps checking for new ones in a background thread.

    A failed load keeps the old models serving and records why; requests never wait for
    a load, they use whichever Scorer is current when they start.
    """

    def __init__(self, load, current_versions, interval: float) -> None:
        self._load = load  # () -> (scorer, versions)
        self._versions = current_versions  # () -> versions
        self.interval = interval
        scorer, versions = load()
        self.state = ServingState(scorer, versions)
        self._stop = threading.Event()

    def start(self) -> None:
        if self.interval > 0:
            threading.Thread(target=self._watch, name="champion-watcher", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> None:
        try:
            wanted = self._versions()
            if wanted == self.state.versions:  # back to what serves: an old failure is moot
                self.state.last_error = None
                return
            scorer, versions = self._load()
            self.state = ServingState(scorer, versions)
            log.info("now serving %s", versions)
        except Exception as exc:  # keep serving the old models, and say why
            self.state.last_error = f"{type(exc).__name__}: {exc}"
            log.error(
                "reloading the champion failed; still serving %s: %s", self.state.versions, exc
            )

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()


class StatusBoard:
    """Where a service's model status is read by routes and middleware that are set up
    before the service (and its watcher) exist."""

    def __init__(self) -> None:
        self.watcher: ModelWatcher | None = None

    def status(self) -> dict | None:
        return None if self.watcher is None else self.watcher.state.status()


def score_leads(scorer, leads: list[Lead], *, lang: str, top_k: int) -> list[dict]:
    """Known ids from the feature store, records through the feature builder, in order."""
    if len(leads) > MAX_BATCH:
        raise InputError(f"leads: {len(leads)} leads in one request; at most {MAX_BATCH}")
    known = [i for i, lead in enumerate(leads) if not lead.is_record]
    records = [i for i, lead in enumerate(leads) if lead.is_record]
    results: list[dict | None] = [None] * len(leads)
    if known:
        ids = [leads[i].customer_id for i in known]
        for i, result in zip(known, scorer.score_ids(ids, lang=lang, top_k=top_k), strict=True):
            results[i] = result
    if records:
        payload = [leads[i].model_dump(exclude_none=True) for i in records]
        frame = scorer.features_for_records(payload, now=pd.Timestamp.now(tz="UTC"))
        for i, result in zip(
            records, scorer.score_frame(frame, lang=lang, top_k=top_k), strict=True
        ):
            result["customer_id"] = leads[i].customer_id
            results[i] = result
    return results  # type: ignore[return-value]


async def scored_json(scorer, leads: list[Lead], *, lang: str, top_k: int) -> bytes:
    """``score_leads`` and ``results_json`` for an async endpoint: small requests on the
    event loop, larger ones in a worker thread, so that health checks and small requests
    are not held up behind them."""

    def work() -> bytes:
        return results_json(score_leads(scorer, leads, lang=lang, top_k=top_k))

    if len(leads) <= INLINE_LEADS:
        return work()
    return await asyncio.to_thread(work)
