"""The routes a CRM reads from without writing anything: ``GET /leads/{customer_id}`` (the
lead as the store holds it, with its newest score, grade and trend) and ``GET /scores``
(the feed of scores that changed, page by page).

The feed's position is a cursor: an opaque string to send back as ``cursor`` for the next
page. Every answer has one, also where nothing new came (the same position), so a client
keeps the last it was given and polls with it: each change comes once, in the order it
was logged. ``changed_since`` (ISO 8601) starts a feed at a moment instead of at the
start of the log.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote

import anyio
import pandas as pd

from leadscore.common.time import iso_utc
from leadscore.scoring.live import DEFAULT_TREND_AFTER, LiveScorer
from leadscore.scoring.trend import days_between, direction, no_history
from leadscore.serving.intake import NO_STORE, send_json, sent_path, unknown_lead
from leadscore.store.lead_reads import lead_record, scores_after
from leadscore.store.moments import micros
from leadscore.store.score_log import latest_scores
from leadscore.store.store import Store

# the path as sent (an id holding "/" comes as %2F): a lead, not its history
LEAD = re.compile(r"^/leads/(?P<customer_id>[^/]{1,800})/?$")
FEED = "/scores"
FEED_LIMIT = 500
MAX_FEED_LIMIT = 5_000
READ_WAIT_SECONDS = 2.0  # the longest a read waits for scores being logged


def is_read_route(path: str) -> bool:
    return path == FEED or path == FEED + "/" or LEAD.match(path) is not None


class ReadsMiddleware:
    """ASGI middleware answering the read routes; everything else goes on to the app.

    ``live`` gives the champions' live scorer, and with it the store (None: 503);
    ``logged`` waits up to the seconds it is given until the scores answered so far are
    in the log, so that a read after a score sees it."""

    def __init__(
        self,
        app,
        *,
        live: Callable[[], LiveScorer | None],
        logged: Callable[[float], bool] = lambda _seconds: True,
    ) -> None:
        self.app = app
        self.live = live
        self.logged = logged

    async def __call__(self, scope, receive, send) -> None:
        sent = sent_path(scope) if scope["type"] == "http" else ""
        if not is_read_route(sent):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_json(send, 405, {"error": f"{scope['method']} {scope['path']}: use GET"})
            return
        live = self.live()
        if live is None:
            await send_json(send, 503, NO_STORE)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        lead = LEAD.match(sent)
        if lead is not None:
            customer_id = unquote(lead["customer_id"])
            read = lambda: self._lead(live.store, customer_id)  # noqa: E731
        else:
            try:
                after, since, limit = feed_query(query)
            except ValueError as exc:
                await send_json(send, 400, {"error": str(exc)})
                return
            read = lambda: self._feed(live.store, after, since, limit)  # noqa: E731
        status, body = await anyio.to_thread.run_sync(read)
        await send_json(send, status, body)

    def _lead(self, store: Store, customer_id: str) -> tuple[int, dict]:
        self.logged(READ_WAIT_SECONDS)
        record = lead_record(store, customer_id)
        if record is None:
            return unknown_lead(customer_id)
        newest = latest_scores(store, [customer_id], at_or_before=pd.Timestamp.now(tz="UTC"))
        entry = newest.get(customer_id)
        score = None
        if entry is not None:
            earlier = latest_scores(
                store, [customer_id], at_or_before=entry.scored_at - DEFAULT_TREND_AFTER
            ).get(customer_id)
            trend = {k: v for k, v in no_history().items() if k != "changes"}
            if earlier is not None:
                delta = entry.score - earlier.score
                trend = {
                    "previous_score": earlier.score,
                    "days_ago": days_between(earlier.scored_at, entry.scored_at),
                    "delta": delta,
                    "direction": direction(delta),
                }
            score = {
                "score": entry.score,
                "grade": entry.grade,
                "probability": entry.probability,
                "scored_at": iso_utc(entry.scored_at),
                "model": {"name": entry.model_name, "version": entry.model_version},
                "trend": trend,
            }
        return 200, {
            "customer_id": record.customer_id,
            "created_at": iso_utc(record.created_at),
            "updated_at": iso_utc(record.updated_at),
            "converted": record.converted,
            "profile": record.profile,
            "newest_score": score,
        }

    def _feed(
        self, store: Store, after: int, since: pd.Timestamp | None, limit: int
    ) -> tuple[int, dict]:
        self.logged(READ_WAIT_SECONDS)
        page = scores_after(store, after_seq=after, since=since, limit=limit)
        for entry in page.entries:
            entry["scored_at"] = iso_utc(entry["scored_at"])
        return 200, {
            "scores": page.entries,
            "next_cursor": cursor(page.last_seq, since),
            "has_more": page.more,
        }


def cursor(after_seq: int, since: pd.Timestamp | None) -> str:
    """The opaque position after ``after_seq`` (and the feed's start moment)."""
    state = {"after": after_seq, "since": None if since is None else micros(since)}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def feed_query(query: dict[str, list[str]]) -> tuple[int, pd.Timestamp | None, int]:
    """(position, start moment, page size) of a feed request; a ValueError says which
    parameter is off and how to send it."""
    unknown = sorted(set(query) - {"cursor", "changed_since", "limit"})
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)[:200]}: not a parameter of GET /scores (cursor, "
            "changed_since, limit)"
        )
    try:
        limit = int(query.get("limit", [FEED_LIMIT])[0])
        if not 1 <= limit <= MAX_FEED_LIMIT:
            raise ValueError
    except ValueError:
        raise ValueError(f"limit: a whole number from 1 to {MAX_FEED_LIMIT:,}") from None
    if "cursor" in query:
        if "changed_since" in query:
            raise ValueError("send cursor or changed_since, not both: a cursor holds its start")
        return (*_read_cursor(query["cursor"][0]), limit)
    if "changed_since" not in query:
        return 0, None, limit
    given = query["changed_since"][0]
    try:
        since = pd.Timestamp(given)
    except (ValueError, TypeError):
        since = None
    if since is None or pd.isna(since) or since.tzinfo is None:
        raise ValueError(
            f"changed_since: {given[:40]!r} is no ISO 8601 moment with a time zone; send "
            "e.g. 2026-12-01T00:00:00Z"
        )
    return 0, since.tz_convert("UTC"), limit


def _read_cursor(text: str) -> tuple[int, pd.Timestamp | None]:
    try:
        state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        after, since = int(state["after"]), state["since"]
        if after < 0 or (since is not None and not isinstance(since, int)):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError(
            "cursor: not a cursor this service gave; send the next_cursor of an answer, or "
            "changed_since to start again"
        ) from None
    return after, None if since is None else pd.Timestamp(since, unit="us", tz="UTC")
