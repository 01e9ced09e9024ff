"""The "why now" line of a lead: its newest signs of buying intent in a rep's words
("Angebot angefordert gestern, Preisseite vor 2 Tagen (3 mal), auf der Hannover Messe
gescannt am 03.12."), a reason to call today that the model's reasons, which weigh the
whole history, do not give.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from leadscore.data.tables import TRADE_FAIR_VISIT
from leadscore.store import schema
from leadscore.store.driver import chunks
from leadscore.store.store import Store
from leadscore.workspace.formatting import local

RECENT = pd.Timedelta(days=14)  # older signs are in the model's reasons, not "now"
SIGNS_SHOWN = 3
# the signs of intent, strongest first: which of a lead's recent events the line names
SIGNS: dict[str, dict[str, str]] = {
    "quote_request": {"de": "Angebot angefordert {when}", "en": "asked for a quote {when}"},
    "rep_meeting_booked": {"de": "Termin vereinbart {when}", "en": "meeting booked {when}"},
    TRADE_FAIR_VISIT: {
        "de": "auf der {campaign} gescannt am {date}",
        "en": "scanned at {campaign} on {date}",
    },
    "pricing_page_view": {"de": "Preisseite {when}", "en": "pricing page {when}"},
    "webinar_attended": {"de": "Webinar besucht {when}", "en": "attended a webinar {when}"},
    "meeting": {"de": "Termin {when}", "en": "meeting {when}"},
    "product_page_view": {"de": "Produktseite {when}", "en": "product page {when}"},
    "download": {"de": "Download {when}", "en": "downloaded content {when}"},
    "email_click": {"de": "Link in E-Mail geklickt {when}", "en": "clicked an e-mail {when}"},
}
TIMES = {"de": " ({count} mal)", "en": " ({count} times)"}
FAIR_UNNAMED = {"de": "Messe", "en": "a trade fair"}


def recent_signs(
    store: Store | None, customer_ids: Sequence[str], now: pd.Timestamp
) -> pd.DataFrame:
    """The leads' events of ``SIGNS``' types in the ``RECENT`` days up to ``now``:
    customer_id, event_type, ts (UTC), campaign."""
    columns = ["customer_id", "event_type", "ts", "campaign"]
    if store is None or not customer_ids:
        return pd.DataFrame(columns=columns)
    events = schema.events
    since = int((now - RECENT).value // 1_000)  # the store keeps microseconds
    until = int(now.value // 1_000)
    rows: list = []
    with store.engine.connect() as connection:
        for some in chunks(list(customer_ids)):  # a database binds so many values at most
            query = sa.select(events.c.customer_id, events.c.event_type, events.c.ts,
                              events.c.campaign).where(
                events.c.customer_id.in_(some),
                events.c.event_type.in_(list(SIGNS)),
                events.c.ts >= since,
                events.c.ts <= until,
            )  # fmt: skip
            rows += connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["ts"] = pd.to_datetime(frame["ts"].astype("int64"), unit="us", utc=True)
    return frame


def why_now(signs: pd.DataFrame, now: pd.Timestamp, lang: str, zone: str) -> str | None:
    """One lead's line from its ``recent_signs`` (None without one): the strongest
    ``SIGNS_SHOWN`` kinds, each at its newest, how often where more than once."""
    if signs.empty:
        return None
    today = local(now, zone).date()
    said = []
    for kind in (k for k in SIGNS if k in set(signs["event_type"])):
        of_kind = signs[signs["event_type"] == kind]
        newest = of_kind.loc[of_kind["ts"].idxmax()]
        moment = local(newest["ts"], zone)
        days = (today - moment.date()).days  # calendar days: a clock change is no day
        campaign = newest["campaign"] if isinstance(newest["campaign"], str) else None
        line = SIGNS[kind][lang].format(
            when=_days_ago(days, lang),
            date=moment.strftime("%d.%m." if lang == "de" else "%b %d"),
            campaign=campaign or FAIR_UNNAMED[lang],
        )
        if len(of_kind) > 1 and kind != TRADE_FAIR_VISIT:
            line += TIMES[lang].format(count=len(of_kind))
        said.append(line)
        if len(said) == SIGNS_SHOWN:
            break
    return ", ".join(said)[:1].upper() + ", ".join(said)[1:]


def _days_ago(days: int, lang: str) -> str:
    if days <= 0:
        return "heute" if lang == "de" else "today"
    if days == 1:
        return "gestern" if lang == "de" else "yesterday"
    return f"vor {days} Tagen" if lang == "de" else f"{days} days ago"


def why_now_of(
    store: Store | None, customer_ids: Sequence[str], now: pd.Timestamp, lang: str, zone: str
) -> dict[str, str]:
    """Each of these leads' "why now" line, by customer_id (leads without one left out)."""
    signs = recent_signs(store, customer_ids, now)
    lines = {}
    for customer_id, of_lead in signs.groupby("customer_id"):
        line = why_now(of_lead, now, lang, zone)
        if line:
            lines[str(customer_id)] = line
    return lines
