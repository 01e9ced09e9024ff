"""A rep's actions on a lead (called: reached or not, meeting booked, not interested, a
note; taking the lead, putting it aside for some days), stored as events of the lead, so
that they count in its features, reach the CRM through the alert rules' outbox and show
on its timeline; and each lead's last action, for the CSV export.

An action is an event of a canonical ``rep_*`` type on channel ``sales``; the rep's name
and note are its ``campaign`` ("anna: call back on Tuesday"). The events table has no
column of its own for either, and a migration for one is more than a note needs; the
lead list keeps these out of its campaigns (``LeadBoard.read``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from urllib.parse import quote

import pandas as pd
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadscore.data.intake import Intake
from leadscore.data.tables import EVENT_TYPES, REP_ACTIONS, REP_EVENTS
from leadscore.scoring.scorer import Scorer
from leadscore.store import schema
from leadscore.store.intake import take_events
from leadscore.store.store import Store
from leadscore.workspace.ownership import SNOOZE_DAYS, snooze_days
from leadscore.workspace.signing import SignIns, read_form
from leadscore.workspace.users import User

NOTE_LIMIT = 1_000  # characters: a few sentences; the form says so too
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,43}$")  # what ``form_id`` makes
Page = Callable[..., HTMLResponse]


def form_id() -> str:
    """A one-time id for one render of a lead's action form: the event's id, so that the
    form sent twice (a double click, a reload) stores one event."""
    return secrets.token_urlsafe(16)


def action_row(
    customer_id: str,
    action: str,
    user: str,
    note: str,
    once: str,
    now: pd.Timestamp,
    value: float = float("nan"),
) -> pd.DataFrame:
    """The event of one action, in the events' canonical columns and its ``event_id``
    (``value``: a snooze's days)."""
    said = f"{user}: {note}" if note else user
    return pd.DataFrame(
        {
            "customer_id": [customer_id],
            "ts": pd.Series([now], dtype="datetime64[us, UTC]"),
            "event_type": [action],
            "channel": [EVENT_TYPES[action].channel],
            "offer_id": pd.Series([None], dtype="object"),
            "value": [value],
            "campaign": [said],
            "event_id": [f"ws-{once}"],
        }
    )


def outcome_row(action: pd.DataFrame) -> pd.DataFrame:
    """The outcome an action is where the service is told so: the lead converted then."""
    return pd.DataFrame(
        {
            "customer_id": action["customer_id"].tolist(),
            "ts": action["ts"],
            "offer_id": pd.Series([None], dtype="object"),
            "value": [float("nan")],
        }
    )


class Actions:
    """``POST /workspace/leads/{id}/actions``: checks the form (signed in, its CSRF token,
    a known action, a note not too long, a lead of the rep's territories), stores the
    event and sends the rep back to the lead's page (303). ``scorer``: the champions' (its
    live scorer alerts and refreshes); ``claimed``: called after a lead was taken or put
    aside, so the lists show it at once."""

    def __init__(
        self,
        *,
        store: Store | None,
        scorer: Callable[[], Scorer | None],
        sign_ins: SignIns,
        page: Page,
        prefix: str,
        clock: Callable[[], pd.Timestamp],
        may_open: Callable[[str, User], bool] = lambda _lead, _user: True,
        claimed: Callable[[], None] = lambda: None,
        outcome_actions: tuple[str, ...] = (),
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.sign_ins = sign_ins
        self.page = page
        self.prefix = prefix
        self.clock = clock
        self.may_open = may_open
        self.claimed = claimed
        self.outcome_actions = outcome_actions

    async def post(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        lead_page = f"{self.prefix}/leads/{quote(customer_id, safe='')}"
        signed_in = self.sign_ins.signed_in(request)
        if signed_in is None:
            return RedirectResponse(f"{self.prefix}/login", status_code=303)
        form = await read_form(request)
        if form is None:
            return Response("the form is too large", status_code=413)
        if self.sign_ins.forged(request, form):
            return self.sign_ins.refuse_forged(request)
        user = signed_in.name
        action = (form.get("action") or [""])[0]
        note = (form.get("note") or [""])[0].strip()
        once = (form.get("once") or [""])[0]
        if action not in REP_EVENTS or not FORM_ID.match(once):
            return self._bad(request, signed_in, "unknown_action")
        if len(note) > NOTE_LIMIT:
            return self._bad(request, signed_in, "note_too_long", limit=NOTE_LIMIT)
        days = snooze_days((form.get("days") or [""])[0])
        if action == "rep_snoozed" and days is None:
            return self._bad(request, signed_in, "bad_snooze", limit=max(SNOOZE_DAYS))
        if self.store is None:
            return self.page(request, "missing.html", status=404, user=user, what=customer_id)
        if not await run_in_threadpool(self.may_open, customer_id, signed_in):
            return self.page(request, "missing.html", status=404, user=user, what=customer_id)
        value = float(days) if action == "rep_snoozed" and days else float("nan")
        row = action_row(customer_id, action, user, note, once, self.clock(), value)
        stored = await run_in_threadpool(partial(self._store, row))
        if not stored:
            return self.page(request, "missing.html", status=404, user=user, what=customer_id)
        if action not in REP_ACTIONS:  # a take or a snooze: who sees the lead changed
            await run_in_threadpool(self.claimed)
        return RedirectResponse(lead_page, status_code=303)

    def _bad(self, request: Request, user: User, key: str, **values: object) -> HTMLResponse:
        back = f"{self.prefix}/leads/{quote(request.path_params['customer_id'], safe='')}"
        return self.page(
            request,
            "action_refused.html",
            status=400,
            user=user,
            reason=key,
            values=values,
            back=back,
        )

    def _store(self, row: pd.DataFrame) -> bool:
        """Stores the action (False where the lead is not in the store); then, as ``POST
        /events`` does, the alert rules see it and the lead's features are built anew. The
        same form sent again is a retry: its event_id is held (409), nothing is added."""
        assert self.store is not None
        now = row["ts"].iat[0]
        taken = take_events(self.store, Intake(row, []), now=now)
        if taken.appended is None:
            return taken.status == 409  # the form sent again: stored the first time
        if row["event_type"].iat[0] in self.outcome_actions:  # configured: a conversion too
            self.store.append("outcomes", outcome_row(row), now=now)
        scorer = self.scorer()
        live = None if scorer is None else scorer.live
        if live is not None:
            live.alert_on_events(row, now=now)
            live.refresh(row["customer_id"].tolist(), now=now)
        return True


def last_actions(store: Store | None, customer_ids: Sequence[str]) -> pd.DataFrame:
    """Each lead's newest action: last_action (its type) and last_action_at, by
    customer_id (leads without one are left out)."""
    columns = ["last_action", "last_action_at"]
    if store is None or not customer_ids:
        return pd.DataFrame(columns=columns)
    events = schema.events
    query = (
        sa.select(events.c.customer_id, events.c.event_type, events.c.ts)
        .where(events.c.event_type.in_(REP_ACTIONS))
        .order_by(events.c.ts, events.c.seq)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=["customer_id", "last_action", "ts"])
    frame = frame[frame["customer_id"].isin(set(customer_ids))]
    frame = frame.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    micros = frame["ts"].astype("int64")
    frame["last_action_at"] = pd.to_datetime(micros, unit="us", utc=True)
    return frame[columns]
