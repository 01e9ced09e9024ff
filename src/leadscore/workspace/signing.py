"""Signing in and out of the workspace: the sign-in form and its checks, the sessions it
opens and ends, and the wait that grows with failed sign-ins.

A sign-in is refused while its user name or its client address is locked: after
``FREE_FAILURES`` failures of a name (``FREE_ADDRESS_FAILURES`` of an address, which
may be a proxy that many users share) each failure locks it for twice as long as the
one before, 2 s, 4 s, ... up to ``MAX_WAIT``. The page says so without telling whether
the name exists (an unknown name is counted the same). The counts are in the store, so
every worker agrees; a sign-in that succeeds clears its name's and address's counts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadscore.store import workspace_sessions as held
from leadscore.store.store import Store
from leadscore.workspace.csrf import (
    CSRF_COOKIE,
    CSRF_FIELD,
    cross_site,
    new_cookie_value,
    token_matches,
)
from leadscore.workspace.session import COOKIE, Sessions
from leadscore.workspace.users import User, hash_password, needs_rehash, rehash_user
from leadscore.workspace.users import verify_password as password_matches

log = logging.getLogger(__name__)

PREFIX = "/workspace"
MAX_FORM_BYTES = 8 * 1024  # a sign-in form is a few hundred bytes
FREE_FAILURES = 5
FREE_ADDRESS_FAILURES = 20
MAX_WAIT = 15 * 60  # seconds
FORGET_FAILURES = pd.Timedelta(hours=24)  # a count idle this long starts again
FORGET_SESSIONS = pd.Timedelta(days=7)  # ended or expired sessions kept this long


def wait_seconds(failures: int, *, free: int = FREE_FAILURES) -> float:
    """How long a key is locked after its ``failures``-th failure in a row."""
    if failures < free:
        return 0.0
    return float(min(2 ** (failures - free + 1), MAX_WAIT))


Page = Callable[..., HTMLResponse]


class SignIns:
    """The sign-in and sign-out routes and the session check of every other page."""

    def __init__(
        self,
        *,
        store: Store | None,
        sessions: Sessions,
        users: Callable[[], dict[str, User]],
        users_file: Path,
        clock: Callable[[], pd.Timestamp],
        page: Page,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.users = users
        self.users_file = users_file
        self.clock = clock
        self.page = page

    # --- every page --------------------------------------------------------------------

    def user(self, request: Request) -> str | None:
        """The name of the signed-in user of the request (see ``signed_in``)."""
        signed_in = self.signed_in(request)
        return None if signed_in is None else signed_in.name

    def signed_in(self, request: Request) -> User | None:
        """The signed-in user of the request: its session live in the store, its user
        in the users file with the session version the session was opened under."""
        session_id = request.cookies.get(COOKIE)
        if not session_id or self.store is None:
            return None
        now = self.clock()
        session = held.live_session(self.store, session_id, now=now, idle=self.sessions.idle)
        if session is None:
            return None
        user = self.users().get(session.user)
        if user is None or user.session_version != session.session_version:
            return None  # removed, or a new password since: the session opens nothing
        held.touch_session(self.store, session_id, session, now=now)
        return user

    def forged(self, request: Request, form: dict[str, list[str]]) -> bool:
        """Whether a post is to be refused as a forgery (see ``csrf``)."""
        token = (form.get(CSRF_FIELD) or [""])[0]
        return cross_site(request.headers) or not token_matches(
            self.sessions.secret, request.cookies.get(CSRF_COOKIE), token
        )

    def refuse_forged(self, request: Request) -> HTMLResponse:
        return self.page(request, "refused.html", status=403)

    # --- the routes --------------------------------------------------------------------

    def login_page(self, request: Request) -> Response:
        return self.page(
            request,
            "login.html",
            next=safe_next(request.query_params.get("next")),
            failed=False,
            no_users=not self.users(),
            needs_store=self.store is None,
            locked_minutes=None,
        )

    async def login(self, request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return Response("the form is too large", status_code=413)
        if self.forged(request, form):
            return self.refuse_forged(request)
        target = safe_next((form.get("next") or [""])[0])
        if self.store is None:
            return self._login_page(request, target, status=503, failed=False)
        name = (form.get("user") or [""])[0][:200]
        password = (form.get("password") or [""])[0]
        address = request.client.host if request.client is not None else "unknown"
        keys = {"name": f"name:{name.casefold()}", "address": f"address:{address}"}
        now = self.clock()
        locked = await run_in_threadpool(
            partial(held.locked_until, self.store, list(keys.values()), now=now)
        )
        if locked is not None:
            return self._locked(request, target, locked - now)
        user = await self._checked(name, password)
        if user is None:
            await run_in_threadpool(self._count_failure, keys, now)
            return self._login_page(request, target, status=401, failed=True)
        session_id = await run_in_threadpool(self._opened, user, list(keys.values()), now)
        response = RedirectResponse(target, status_code=303)
        secure = request.url.scheme == "https"
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(self.sessions.lasts.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure,
            path=PREFIX,
        )
        set_csrf_cookie(response, new_cookie_value(), secure=secure)  # a new one a session
        return response

    async def logout(self, request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return Response("the form is too large", status_code=413)
        if self.forged(request, form):
            return self.refuse_forged(request)
        session_id = request.cookies.get(COOKIE)
        if session_id and self.store is not None:
            await run_in_threadpool(
                partial(held.end_session, self.store, session_id, now=self.clock())
            )
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        set_csrf_cookie(response, new_cookie_value(), secure=request.url.scheme == "https")
        return response

    # --- the parts of a sign-in --------------------------------------------------------

    async def _checked(self, name: str, password: str) -> User | None:
        """The user whose name and password these are; None where they do not match. A
        check takes Argon2id's time (off the event loop) for an unknown name as well: how
        long a refusal takes does not tell which names exist."""
        user = self.users().get(name)
        stored = user.password_hash if user is not None else _unknown_user_hash()
        matches = await run_in_threadpool(password_matches, password, stored)
        if user is None or not matches:
            return None
        if needs_rehash(user.password_hash):  # scrypt's, or Argon2id's of other costs
            await run_in_threadpool(self._rehash, user.name, password)
        return user

    def _rehash(self, name: str, password: str) -> None:
        try:
            rehash_user(self.users_file, name, password)
        except OSError as exc:  # a read-only file: the old hash still checks
            log.warning("the password hash of %s stays as it is: %s", name, exc)

    def _count_failure(self, keys: dict[str, str], now: pd.Timestamp) -> None:
        assert self.store is not None
        for kind, key in keys.items():
            free = FREE_ADDRESS_FAILURES if kind == "address" else FREE_FAILURES
            held.record_failure(
                self.store,
                [key],
                now=now,
                wait=partial(wait_seconds, free=free),
                forget=FORGET_FAILURES,
            )

    def _opened(self, user: User, keys: list[str], now: pd.Timestamp) -> str:
        assert self.store is not None
        held.clear_failures(self.store, keys)
        held.forget_sessions(self.store, before=now - FORGET_SESSIONS)
        return held.open_session(
            self.store, user.name, user.session_version, now=now, lasts=self.sessions.lasts
        )

    def _login_page(
        self,
        request: Request,
        target: str,
        *,
        status: int,
        failed: bool,
        locked_minutes: int | None = None,
    ) -> HTMLResponse:
        return self.page(
            request,
            "login.html",
            status=status,
            next=target,
            failed=failed,
            no_users=not self.users(),
            needs_store=self.store is None,
            locked_minutes=locked_minutes,
        )

    def _locked(self, request: Request, target: str, left: pd.Timedelta) -> HTMLResponse:
        seconds = max(math.ceil(left.total_seconds()), 1)
        page = self._login_page(
            request, target, status=429, failed=False, locked_minutes=math.ceil(seconds / 60)
        )
        page.headers["retry-after"] = str(seconds)
        return page


async def read_form(request: Request) -> dict[str, list[str]] | None:
    """A posted form's fields; None where it is larger than ``MAX_FORM_BYTES``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return parse_qs(body.decode("utf-8", "replace"))


def set_csrf_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE, value, httponly=True, samesite="strict", secure=secure, path=PREFIX
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a workspace page of this service, nothing else."""
    if target and target.startswith(f"{PREFIX}") and "//" not in target and "\\" not in target:
        return target
    return PREFIX


@cache
def _unknown_user_hash() -> str:
    return hash_password("no such user")
