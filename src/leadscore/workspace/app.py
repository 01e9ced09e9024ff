"""The workspace's routes under ``/workspace``: sign-in, the lead list (and its CSV), a
lead's page, the trade-fair follow-up (its pages in ``fairs``) and the model page. Every
page but the sign-in needs a session; a request without one is sent to the sign-in page,
never served."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
import pandas as pd
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from leadscore.common.errors import InputError
from leadscore.data.tables import REP_ACTIONS, REP_CLAIMS
from leadscore.scoring.scorer import Scorer
from leadscore.store.outage import OUTAGES, RETRY_AFTER_SECONDS
from leadscore.store.score_log import score_history
from leadscore.store.store import Store
from leadscore.workspace import formatting
from leadscore.workspace.actions import NOTE_LIMIT, Actions, form_id, last_actions
from leadscore.workspace.board import GRADES, VIEWS, BoardKeeper, Filters, LeadBoard
from leadscore.workspace.chart import score_chart
from leadscore.workspace.contact import lead_contact
from leadscore.workspace.csrf import CSRF_COOKIE, form_token, new_cookie_value
from leadscore.workspace.explained import LeadSaid, explained_rows, lead_said, profile_words
from leadscore.workspace.export import leads_csv
from leadscore.workspace.fairs import Fairs
from leadscore.workspace.model_pages import ModelPages
from leadscore.workspace.model_report import ReportCache
from leadscore.workspace.ownership import SNOOZE_DAYS, claims_of_lead, may_see
from leadscore.workspace.session import Sessions
from leadscore.workspace.signing import SignIns, set_csrf_cookie
from leadscore.workspace.texts import (
    LANG_COOKIE,
    channel_label,
    chosen_lang,
    event_label,
    profile_label,
    text,
)
from leadscore.workspace.users import User, load_users
from leadscore.workspace.why_now import why_now_of

log = logging.getLogger(__name__)

PREFIX = "/workspace"
PER_PAGE = 50
GZIP_MIN_BYTES = 1024  # smaller answers gain less than gzip's header and time cost
HISTORY = 60  # scores in a lead's chart
TIMELINE = 100  # events on a lead's page
# the pages load nothing from elsewhere; images are the calibration plot, inline
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class WorkspaceConfig:
    users_file: Path
    territory_column: str | None
    name_column: str | None
    conversion_model: str
    timezone: str = formatting.DEFAULT_ZONE  # the zone the pages show times in
    outcome_actions: tuple[str, ...] = ()  # the actions that are an outcome of the lead too


class Workspace:
    """The pages of one service: its store, its champions' Scorer (``scorer``: None before
    they are loaded) and the users who may sign in."""

    def __init__(
        self,
        *,
        store: Store | None,
        scorer: Callable[[], Scorer | None],
        sessions: Sessions,
        config: WorkspaceConfig,
        board_every: float = 60.0,
        clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC"),
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.sessions = sessions
        self.config = config
        self.clock = clock
        self._held_users: tuple[bytes | None, dict[str, User]] | None = None
        self.sign_ins = SignIns(
            store=store,
            sessions=sessions,
            users=self._users,
            users_file=config.users_file,
            clock=clock,
            page=self._page,
        )
        self.boards = (
            None
            if store is None
            else BoardKeeper(
                lambda now: LeadBoard.read(
                    store,
                    now=now,
                    territory_column=config.territory_column,
                    name_column=config.name_column,
                ),
                every=board_every,
            )
        )
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("leadscore.workspace", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        actions = Actions(
            store=store, scorer=scorer, sign_ins=self.sign_ins, page=self._page, prefix=PREFIX,
            clock=clock, may_open=self._may_open, claimed=self._claimed,
            outcome_actions=config.outcome_actions,
        )  # fmt: skip
        fairs = Fairs(
            store=store, scorer=scorer, boards=self.boards, sign_ins=self.sign_ins,
            page=self._page, prefix=PREFIX, per_page=PER_PAGE, clock=clock, lang=self._lang,
            refuse=self._refuse, zone=config.timezone,
        )  # fmt: skip
        self.reports = ReportCache(config.conversion_model)
        models = ModelPages(  # what it reads, asked for anew each time (tests swap them)
            scorer=lambda: self.scorer(), reports=lambda: self.reports, user=self._user,
            page=self._page, refuse=self._refuse, lang=self._lang, zone=config.timezone,
        )  # fmt: skip
        routes = [
            Route(f"{PREFIX}/login", self.sign_ins.login_page, methods=["GET"]),
            Route(f"{PREFIX}/login", self.sign_ins.login, methods=["POST"]),
            Route(f"{PREFIX}/logout", self.sign_ins.logout, methods=["POST"]),
            Route(PREFIX, self.leads, methods=["GET"]),
            Route(f"{PREFIX}/", self.leads, methods=["GET"]),
            Route(f"{PREFIX}/leads.csv", self.leads_csv, methods=["GET"]),
            Route(f"{PREFIX}/leads/{{customer_id:path}}/actions", actions.post, methods=["POST"]),
            Route(f"{PREFIX}/leads/{{customer_id:path}}", self.lead, methods=["GET"]),
            Route(f"{PREFIX}/fairs", fairs.fairs, methods=["GET"]),
            Route(f"{PREFIX}/fairs", fairs.upload, methods=["POST"]),
            Route(f"{PREFIX}/fairs/{{fair:path}}", fairs.fair, methods=["GET"]),
            Route(f"{PREFIX}/model", models.model, methods=["GET"]),
            Route(f"{PREFIX}/model/monitoring", models.monitoring, methods=["GET"]),
        ]
        away = dict.fromkeys(OUTAGES, self._store_away)  # 503, never 500, while it is
        # the lead list (50 leads) 24.5 KB, gzipped 3.4 KB; a fair's 200 leads 63 KB, 4.1 KB
        gzip = Middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
        self.app = Starlette(routes=routes, exception_handlers=away, middleware=[gzip])

    # --- the frame of every page --------------------------------------------------------

    def _lang(self, request: Request) -> str:
        return chosen_lang(
            request.query_params, request.cookies, request.headers.get("accept-language", "")
        )

    def _users(self) -> dict[str, User]:
        """The users file's users (none, and the reason logged, where it cannot be read),
        parsed again only when its bytes changed: every page asks, so a removed user is
        out at the next request, without a YAML parse a request."""
        try:
            stamp: bytes | None = self.config.users_file.read_bytes()
        except OSError:
            stamp = None
        held = self._held_users
        if held is not None and held[0] == stamp:
            return held[1]
        try:
            users = load_users(self.config.users_file)
        except InputError as exc:
            log.error("the workspace's users cannot be read: %s", exc)
            users = {}
        self._held_users = (stamp, users)
        return users

    def _user(self, request: Request) -> User | None:
        return self.sign_ins.signed_in(request)

    def _territory(self, customer_id: str) -> object:
        """The lead's territory as its profile holds it (None: none, or no such lead)."""
        column = self.config.territory_column
        if self.store is None or not column:
            return None
        found = self.store.customers([customer_id], fields=[column])
        return found[column].iat[0] if column in found and len(found) else None

    def _may_open(self, customer_id: str, user: User) -> bool:
        return may_see(user, self._territory(customer_id))

    def _claimed(self) -> None:
        """A lead was taken or put aside: the lists show it now, not within a minute."""
        if self.boards is not None:
            self.boards.refresh()

    def _page(
        self, request: Request, template: str, *, status: int = 200, **context: object
    ) -> HTMLResponse:
        lang, zone = self._lang(request), self.config.timezone
        other = "en" if lang == "de" else "de"
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        switch = f"{request.url.path}?{urlencode({**query, 'lang': other})}"
        browser = request.cookies.get(CSRF_COOKIE) or new_cookie_value()
        user = context.pop("user", None)
        html = self.templates.get_template(template).render(
            lang=lang,
            t=lambda key, **values: text(key, lang, **values),
            user=user.display_name if isinstance(user, User) else user,
            switch=switch,
            prefix=PREFIX,
            number=lambda v, digits=0: formatting.number(v, lang, digits),
            percent=lambda v: formatting.percent(v, lang),
            day=lambda v: formatting.day(v, lang, zone),
            moment=lambda v: formatting.moment(v, lang, zone),
            event_label=lambda e: event_label(e, lang),
            channel_label=lambda c: channel_label(c, lang),
            quote=lambda v: quote(str(v), safe=""),
            csrf=form_token(self.sessions.secret, browser),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if browser != request.cookies.get(CSRF_COOKIE):  # its forms' tokens need it
            set_csrf_cookie(response, browser, secure=request.url.scheme == "https")
        if request.query_params.get("lang") == lang:  # the switch was used: keep the choice
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def _store_away(self, request: Request, _error: Exception) -> Response:
        again = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        page = self._page(request, "unavailable.html", status=503, again=again)
        page.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        return page

    def _refuse(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': target})}", status_code=303)

    # --- the lead list --------------------------------------------------------------------

    def _filters(self, request: Request, user: User) -> Filters:
        query = request.query_params
        grade = query.get("grade") or None
        view = query.get("view") or "all"
        return Filters(
            grade=grade if grade in GRADES else None,
            territory=query.get("territory") or None,
            campaign=query.get("campaign") or None,
            rising=query.get("rising") == "1",
            search=(query.get("q") or "").strip()[:100] or None,
            view=view if view in VIEWS else "all",
            with_snoozed=query.get("snoozed") == "1",
            viewer=user,
            now=self.clock(),
        )

    def _board(self) -> LeadBoard | None:
        return None if self.boards is None else self.boards.board()

    def leads(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._refuse(request)
        lang = self._lang(request)
        board = self._board()
        filters = self._filters(request, user)
        page = _int(request.query_params.get("page"), 1)
        rows, total = (
            board.page(filters, page=page, per_page=PER_PAGE)
            if board is not None
            else (pd.DataFrame(), 0)
        )
        shown = self._explained(rows, lang)
        query = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
        pages = max(math.ceil(total / PER_PAGE), 1)
        page = min(max(page, 1), pages)  # as the board pages: never past the last
        return self._page(
            request,
            "leads.html",
            user=user,
            leads=shown,
            total=total,
            page=page,
            pages=pages,
            first=(page - 1) * PER_PAGE + 1 if total else 0,
            last=min(page * PER_PAGE, total),
            filters=filters,
            grades=GRADES,
            views=[v for v in VIEWS if v != "territory" or user.territories],
            territories=(
                [] if board is None else [t for t in board.territories if may_see(user, t)]
            ),
            campaigns=[] if board is None else sorted(board.campaigns),
            query=urlencode(query),
            page_link=lambda n: f"{PREFIX}?{urlencode({**query, 'page': n})}",
        )

    def _explained(self, rows: pd.DataFrame, lang: str) -> list[dict]:
        """The list's rows with their top three reasons and their next-best offer."""
        if rows.empty:
            return []
        return explained_rows(self.store, self.scorer(), rows, lang, self.config.timezone)

    def leads_csv(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._refuse(request)
        board = self._board()
        chosen = board.select(self._filters(request, user)) if board else None
        rows = board.leads.iloc[chosen] if board is not None else pd.DataFrame()
        lang = self._lang(request)
        done = last_actions(self.store, rows["customer_id"].tolist() if len(rows) else [])
        explained = self._explained(rows.reset_index(drop=True), lang)
        return Response(
            leads_csv(explained, done, lang),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "content-disposition": 'attachment; filename="leads.csv"',
            },
        )

    # --- one lead ---------------------------------------------------------------------------

    def lead(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._refuse(request)
        lang = self._lang(request)
        customer_id = request.path_params["customer_id"]
        store, scorer = self.store, self.scorer()
        customers = store.customers([customer_id]) if store is not None else pd.DataFrame()
        if customers.empty:
            return self._page(request, "missing.html", status=404, user=user, what=customer_id)
        territory = customers[self.config.territory_column].iat[0] if (
            self.config.territory_column in customers
        ) else None  # fmt: skip
        if not may_see(user, territory):  # as unknown: a 403 would tell the lead exists
            return self._page(request, "missing.html", status=404, user=user, what=customer_id)
        contact = lead_contact(
            customers.iloc[0],
            name_column=self.config.name_column,
            territory_column=self.config.territory_column,
        )
        worded = profile_words(scorer, contact.profile, lang)  # "finance" as "Finanzwesen"
        profile = {profile_label(k, lang): v for k, v in worded.items()}
        history = score_history(store, customer_id, limit=HISTORY)  # newest first
        latest = history[0] if history else None
        said = LeadSaid() if scorer is None else lead_said(scorer, history, lang)
        now_line = why_now_of(store, [customer_id], self.clock(), lang, self.config.timezone)
        events = store.rows("events", [customer_id]).tail(TIMELINE).iloc[::-1]
        ordered = history[::-1]
        chart = score_chart(
            [formatting.local(h.scored_at, self.config.timezone) for h in ordered],
            [h.score for h in ordered],
            title=text("history", lang),
            date_format="%d.%m.%Y" if lang == "de" else "%Y-%m-%d",
        )
        return self._page(
            request,
            "lead.html",
            user=user,
            customer_id=customer_id,
            contact=contact,
            profile=profile,
            latest=latest,
            reasons=said.reasons,
            why_now=now_line.get(customer_id),
            more_reasons=said.more_reasons,
            trend=said.trend,
            offers=said.offers,
            chart=chart,
            history=history,
            actions=REP_ACTIONS,
            claims=REP_CLAIMS,
            claim=claims_of_lead(store, customer_id),
            me=user.name,
            snooze_days=SNOOZE_DAYS,
            once=form_id(),
            note_limit=NOTE_LIMIT,
            events=[
                {k: (None if formatting.is_missing(v) else v) for k, v in e.items()}
                for e in events.to_dict("records")
            ],
        )


class WorkspaceMiddleware:
    """ASGI middleware: requests under ``/workspace`` go to the workspace, the others on."""

    def __init__(self, app, *, workspace: Callable[[], Workspace]) -> None:
        self.app = app
        self.workspace = workspace

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(f"{PREFIX}/"):
            await self.workspace().app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _int(value: str | None, default: int) -> int:
    try:
        return max(int(value), 1) if value is not None else default
    except ValueError:
        return default
