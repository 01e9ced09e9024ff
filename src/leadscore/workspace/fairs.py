"""The trade-fair pages: the fairs (newest first, with what came of their scans), one
fair's scanned leads in follow-up order, and the upload of a fair's badge scans.

The pages read the store for the scans and what followed them, so a lead marked called
counts at once; scores and names come from the lead board and the leads' profiles. A
user bound to territories sees, and counts, the scans of their territories' leads alone
(as the lead list: a new lead from a badge has no territory until the CRM gives it one).
"""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from functools import partial
from urllib.parse import quote, urlencode

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadscore.data.scans import ScanMapping, read_scans
from leadscore.scoring.scorer import Scorer
from leadscore.store.fair_scans import after_scans, fair_scans
from leadscore.store.store import Store
from leadscore.workspace.board import BoardKeeper, Filters, LeadBoard
from leadscore.workspace.explained import explained_rows
from leadscore.workspace.fair_import import ImportResult, checked_fair, import_scans
from leadscore.workspace.follow_up import fair_leads, fair_summaries, page_of
from leadscore.workspace.formatting import is_missing
from leadscore.workspace.ownership import allowed_territories
from leadscore.workspace.signing import SignIns
from leadscore.workspace.texts import text
from leadscore.workspace.users import User

MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # the multipart frame and the form's other fields
Page = Callable[..., HTMLResponse]


def multipart_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """A ``multipart/form-data`` body's fields by name (the first of each), their bytes
    as sent; empty where the body is no such form."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            payload = part.get_payload(decode=True)
            fields[name] = payload if isinstance(payload, bytes) else b""
    return fields


class Fairs:
    """``GET /workspace/fairs``, ``GET /workspace/fairs/{fair}`` and ``POST
    /workspace/fairs`` (a fair's scan file: the fairs page's form names a new fair, a
    fair page's form its own)."""

    def __init__(
        self,
        *,
        store: Store | None,
        scorer: Callable[[], Scorer | None],
        boards: BoardKeeper | None,
        sign_ins: SignIns,
        page: Page,
        prefix: str,
        per_page: int,
        clock: Callable[[], pd.Timestamp],
        lang: Callable[[Request], str],
        refuse: Callable[[Request], Response],
        zone: str,
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.boards = boards
        self.sign_ins = sign_ins
        self.page = page
        self.prefix = prefix
        self.per_page = per_page
        self.clock = clock
        self.lang = lang
        self._refuse = refuse  # a page asked for without a session: to the sign-in
        self.zone = zone  # of the scan files' times without an offset: the workspace's

    def _board(self) -> LeadBoard | None:
        return None if self.boards is None else self.boards.board()

    # --- the fairs ------------------------------------------------------------------------

    def _visible(self, scans: pd.DataFrame, user: User) -> pd.DataFrame:
        """The scans of the leads ``user`` may see, as the lead list bounds them (the
        board's own permission: their territories', unless a manager)."""
        if allowed_territories(user) is None:
            return scans
        board = self._board()
        if board is None:
            return scans.iloc[:0]
        seen = board.leads["customer_id"].iloc[
            board.select(Filters(viewer=user, with_snoozed=True))
        ]
        return scans[scans["customer_id"].isin(set(seen))]

    def fairs(self, request: Request) -> Response:
        user = self.sign_ins.signed_in(request)
        if user is None:
            return self._refuse(request)
        summaries = []
        if self.store is not None:
            scans = self._visible(fair_scans(self.store), user)
            summaries = fair_summaries(scans, after_scans(self.store, scans["customer_id"]))
        return self.page(
            request, "fairs.html", user=user, fairs=summaries, may_upload=user.sees_every_lead
        )

    # --- one fair -------------------------------------------------------------------------

    def fair(self, request: Request) -> Response:
        user = self.sign_ins.signed_in(request)
        if user is None:
            return self._refuse(request)
        name = request.path_params["fair"]
        scans = fair_scans(self.store, name) if self.store is not None else pd.DataFrame()
        if not scans.empty:
            scans = self._visible(scans, user)
        if scans.empty:
            return self.page(request, "missing.html", status=404, user=user, what=name)
        assert self.store is not None
        now = self.clock()
        ranked = fair_leads(
            scans, after_scans(self.store, scans["customer_id"]), self._scores(), now
        )
        requested = _page_number(request.query_params.get("page"))
        rows, page, pages = page_of(ranked, requested, self.per_page)
        shown = self._shown(rows, self.lang(request))
        total = len(ranked)
        query = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
        base = f"{self.prefix}/fairs/{quote(name, safe='')}"
        return self.page(
            request,
            "fair.html",
            user=user,
            fair=name,
            rows=shown,
            total=total,
            page=page,
            pages=pages,
            first=(page - 1) * self.per_page + 1 if total else 0,
            last=min(page * self.per_page, total),
            page_link=lambda n: f"{base}?{urlencode({**query, 'page': n})}",
            imported=_imported(request),
            upload_limit=MAX_UPLOAD_MB,
            may_upload=user.sees_every_lead,
        )

    def _scores(self) -> pd.DataFrame:
        board = self._board()
        if board is None:
            return pd.DataFrame(columns=["customer_id", "score", "grade"])
        return board.leads[["customer_id", "score", "grade"]]

    def _shown(self, rows: pd.DataFrame, lang: str) -> list[dict]:
        """The page's rows with the leads' names and companies, reasons and offers."""
        if rows.empty:
            return []
        assert self.store is not None
        ids = rows["customer_id"].tolist()
        profiles = self.store.customers(ids, fields=["name", "company"]).set_index("customer_id")
        rows = rows.reset_index(drop=True)
        for column in ("name", "company"):
            values = profiles[column] if column in profiles else pd.Series(dtype="object")
            rows[column] = [_text(values.get(c)) for c in ids]
        return explained_rows(self.store, self.scorer(), rows, lang, self.zone)

    # --- the upload -----------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        user = self.sign_ins.signed_in(request)
        if user is None:
            return RedirectResponse(f"{self.prefix}/login", status_code=303)
        if not user.sees_every_lead:
            # a scan matches leads by e-mail in every territory: a rep bound to some
            # would learn of (and add to) other territories' leads; managers import
            return self._bad(request, user, "upload_not_allowed", 403, None)
        body = await _capped_body(request, MAX_UPLOAD_BYTES + FORM_OVERHEAD)
        if body is None:
            return self._bad(request, user, "upload_too_large", 413, None, limit=MAX_UPLOAD_MB)
        fields = multipart_fields(request.headers.get("content-type", ""), body)
        form = {k: [v.decode("utf-8", "replace")] for k, v in fields.items() if k != "scans"}
        if self.sign_ins.forged(request, form):
            return self.sign_ins.refuse_forged(request)
        fair = checked_fair((form.get("fair") or [""])[0])
        if fair is None:
            return self._bad(request, user, "upload_no_fair", 400, None)
        data = fields.get("scans") or b""
        if len(data) > MAX_UPLOAD_BYTES:
            return self._bad(request, user, "upload_too_large", 413, fair, limit=MAX_UPLOAD_MB)
        if not data.strip():
            return self._bad(request, user, "upload_no_file", 400, fair)
        if self.store is None:
            return self.page(request, "missing.html", status=404, user=user, what=fair)
        result = await run_in_threadpool(partial(self._import, data, fair))
        back = f"{self.prefix}/fairs/{quote(fair, safe='')}"
        if not result.rejected and result.taken:
            counts = {
                "imported": result.taken,
                "repeated": result.repeated,
                "new": result.new_leads,
            }
            return RedirectResponse(f"{back}?{urlencode(counts)}", status_code=303)
        lang = self.lang(request)
        return self.page(
            request,
            "fair_import.html",
            status=200 if result.taken else 422,
            user=user,
            result=result,
            rejected=[
                {"row": r.row, "column": r.column, "problem": text(r.reason, lang, **r.values)}
                for r in result.rejected
            ],
            back=back if result.taken else None,
        )

    def _import(self, data: bytes, fair: str) -> ImportResult:
        """Import the file; then, as ``POST /events`` does, the alert rules see the scans
        and the leads' scores are built anew, and the board reads them."""
        assert self.store is not None
        now = self.clock()
        scans = read_scans(data, ScanMapping(timezone=self.zone))
        result = import_scans(self.store, scans, fair, now=now)
        scorer = self.scorer()
        live = None if scorer is None else scorer.live
        if live is not None and len(result.events):
            live.alert_on_events(result.events, now=now)
            live.refresh(list(dict.fromkeys(result.events["customer_id"])), now=now)
        if self.boards is not None and result.taken:
            self.boards.refresh()
        return result

    def _bad(
        self,
        request: Request,
        user: User,
        key: str,
        status: int,
        fair: str | None,
        **values: object,
    ) -> HTMLResponse:
        back = f"{self.prefix}/fairs" + ("" if fair is None else f"/{quote(fair, safe='')}")
        return self.page(
            request,
            "upload_refused.html",
            status=status,
            user=user,
            reason=key,
            values=values,
            back=back,
        )


async def _capped_body(request: Request, limit: int) -> bytes | None:
    """The request's body; None where it is (or says it is) larger than ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _page_number(value: str | None) -> int:
    try:
        return max(int(value), 1) if value is not None else 1
    except ValueError:
        return 1


def _imported(request: Request) -> dict[str, int] | None:
    """The counts of an upload that sent the rep here, for the page to confirm."""
    query = request.query_params
    try:
        return {k: int(query[k]) for k in ("imported", "repeated", "new")}
    except (KeyError, ValueError):
        return None


def _text(value: object) -> str | None:
    return None if is_missing(value) else str(value)
