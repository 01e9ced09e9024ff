"""The store's routes of the service: ``POST /events`` and ``POST /leads`` (intake) and
``GET /leads/{customer_id}/history`` (the score log of one lead).

A batch is checked whole before anything is written: any problem answers 422 with every
problem, each naming its item and field, and nothing of the batch is stored. A retried
batch adds nothing twice. Work on the database runs off the event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote

import anyio
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.intake import Intake, event_intake, lead_intake
from leadscore.scoring.live import LiveScorer
from leadscore.scoring.records import RecordScorer
from leadscore.store.intake import take_events, take_leads
from leadscore.store.score_log import score_history

INTAKE_PATHS = ("/events", "/leads")
# matched against the path as sent (an id holding "/" comes as %2F), up to an id of 64
# characters of four bytes each, every byte escaped (%XX)
HISTORY = re.compile(r"^/leads/(?P<customer_id>[^/]{1,800})/history/?$")
MAX_ITEMS = 10_000
HISTORY_LIMIT = 100
HISTORY_REASONS = 5  # the reasons each logged score is said with
HISTORY_WAIT_SECONDS = 2.0  # the longest a history waits for scores being logged
# up to this many leads in a batch have their features built before it is acknowledged,
# so that their next score reflects it at once; a larger batch leaves that to the score
REFRESH_LEADS = 32


# the answer of a store route where the service has none (or its champions are loading)
NO_STORE = {
    "error": "this service has no store: start it with leadscore serve where the store is "
    "(or set LEADSCORE_DATABASE_URL)"
}


def unknown_lead(customer_id: str) -> tuple[int, dict]:
    """The answer of a read of a lead the store does not hold."""
    return 404, {
        "error": f"{customer_id!r} is not a customer in the store; add it with POST /leads"
    }


def is_store_route(path: str) -> bool:
    return path in INTAKE_PATHS or HISTORY.match(path) is not None


def sent_path(scope: dict) -> str:
    """The request's path as sent, escapes kept (the server's ``path`` has them decoded,
    so an id holding "/" could not be told from two segments)."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else scope["path"]


class IntakeMiddleware:
    """ASGI middleware answering the store's routes; everything else goes on to the app.

    ``live`` gives the champions' live scorer, and with it the store (None where the
    service has none, or before the champions are loaded: the routes say so with 503);
    ``event_types`` the event types accepted (None: any); ``logged`` waits up to the seconds
    it is given until the scores answered so far are in the log (the service's
    ``ScoreLogQueue.flush``)."""

    def __init__(
        self,
        app,
        *,
        live: Callable[[], LiveScorer | None],
        event_types: Callable[[], frozenset[str] | None],
        logged: Callable[[float], bool] = lambda _seconds: True,
    ) -> None:
        self.app = app
        self.live = live
        self.event_types = event_types
        self.logged = logged

    async def __call__(self, scope, receive, send) -> None:
        sent = sent_path(scope) if scope["type"] == "http" else ""
        if not is_store_route(sent):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        history = HISTORY.match(sent)
        allowed = "GET" if history else "POST"
        if method != allowed:
            await send_json(send, 405, {"error": f"{method} {path}: use {allowed}"})
            return
        live = self.live()
        if live is None:
            await send_json(send, 503, NO_STORE)
            return
        if history:
            await self._history(scope, send, live, unquote(history["customer_id"]))
            return
        body = await _body(receive)
        try:
            payload = json.loads(body or b"null")
        except RecursionError:  # a document nested deeper than the parser goes
            await send_json(send, 400, {"error": "the body is nested too deeply; send flat items"})
            return
        except ValueError as exc:
            await send_json(send, 400, {"error": f"the body is not JSON: {exc}"})
            return
        key = path.strip("/")
        items = payload.get(key) if isinstance(payload, dict) else None
        others = sorted(set(payload) - {key}) if isinstance(payload, dict) else []
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS or others:
            await send_json(
                send,
                400,
                {
                    "error": f'send {{"{key}": [...]}} with 1 to {MAX_ITEMS:,} items',
                    "detail": f"{key}: missing, not a list, empty or too long"
                    if not others
                    else f"{', '.join(map(str, others))[:200]}: not a field of the body",
                },
            )
            return
        now = pd.Timestamp.now(tz="UTC")
        if key == "events":
            status, answer = await anyio.to_thread.run_sync(
                self._events, live, items, now, self.event_types()
            )
        else:
            status, answer = await anyio.to_thread.run_sync(self._leads, live, items, now)
        await send_json(send, status, answer)

    @staticmethod
    def _events(
        live: LiveScorer, items: list, now: pd.Timestamp, event_types: frozenset[str] | None
    ) -> tuple[int, dict]:
        timezone = live.records.timezone
        intake = event_intake(items, now=now, event_types=event_types, timezone=timezone)
        appended, problems, status = take_events(live.store, intake, now=now)
        if appended is None:
            return _refused("events", problems, status)
        live.alert_on_events(intake.rows, now=now)
        leads = intake.rows["customer_id"].astype(str).unique().tolist()
        if len(leads) <= REFRESH_LEADS:  # a CRM's live trickle, not a bulk import
            live.refresh(leads, now=now)
        return 200, {
            "received": len(items),
            "added": appended.added,
            "duplicates": appended.duplicates,
        }

    @staticmethod
    def _leads(live: LiveScorer, items: list, now: pd.Timestamp) -> tuple[int, dict]:
        intake = lead_intake(items, now=now, timezone=live.records.timezone)
        found = profile_problems(live.records, items) if not intake.problems else []
        lenient = live.records.lenient_profiles
        if found and not lenient:
            intake = Intake(intake.rows, found)
        counts, problems = take_leads(live.store, intake, now=now)
        if counts is None:
            return _refused("leads", problems)
        answer = {"received": len(items), "added": counts[0], "updated": counts[1]}
        return 200, answer | ({"warnings": found} if found else {})

    async def _history(self, scope, send, live: LiveScorer, customer_id: str) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        store = live.store
        try:
            limit = int(query.get("limit", [HISTORY_LIMIT])[0])
            if not 1 <= limit <= 10_000:
                raise ValueError
        except ValueError:
            await send_json(send, 400, {"error": "limit: a whole number from 1 to 10000"})
            return
        lang = query.get("lang", ["en"])[0]
        if lang not in ("de", "en"):
            await send_json(send, 400, {"error": "lang: de or en"})
            return

        def read() -> tuple[int, dict]:
            # the scores answered before this request are in the history it reads (they
            # are written by the score log's thread, in milliseconds unless the store waits)
            self.logged(HISTORY_WAIT_SECONDS)
            if not store.known([customer_id]):
                return unknown_lead(customer_id)
            entries = score_history(store, customer_id, limit=limit)
            said = [e.as_dict() for e in entries]
            # the reasons in sentences (the log keeps feature names and impacts), for the
            # scores of the features the model serving now reads
            model = live.pure.conversion
            names = tuple(model.model.features) if model is not None else None
            readable = [i for i, e in enumerate(entries) if tuple(e.names) == names]
            reasons = live.pure.logged_reasons(
                [entries[i] for i in readable], lang=lang, top_k=HISTORY_REASONS
            )
            for i in range(len(said)):
                said[i]["reasons"] = []
            for i, found in zip(readable, reasons, strict=True):
                said[i]["reasons"] = found
            return 200, {"customer_id": customer_id, "scores": said}

        try:
            status, answer = await anyio.to_thread.run_sync(read)
        except InputError as exc:
            status, answer = 503, {"error": str(exc)}
        await send_json(send, status, answer)


def profile_problems(records: RecordScorer, items: list) -> list[str]:
    """What the champions say against the profiles of posted leads (checked as
    ``POST /score``'s records are: a field they do not read, a category they do not know,
    text in a numeric field), each naming ``leads[i].profile.<field>``."""
    found: list[str] = []
    for i, item in enumerate(items):
        profile = item.get("profile")
        if isinstance(profile, dict):
            found += records.profile_problems(profile, f"leads[{i}]")
    return found


def _refused(key: str, problems: list[str], status: int = 422) -> tuple[int, dict]:
    shown = problems[:100]
    more = f" (and {len(problems) - len(shown):,} more)" if len(problems) > len(shown) else ""
    return status, {
        "error": f"{len(problems):,} problem(s) in the {key}; nothing of the batch was stored. "
        "Fix them and send the batch again",
        "detail": "; ".join(shown) + more,
        "problems": shown,
    }


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload, default=str, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
