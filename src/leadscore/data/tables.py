"""The canonical data model: which tables exist and what their columns mean.

The names and kinds here are the contract in ``docs/architecture`` (customers, events,
offers, outcomes, exposures); loaders map a user's exports onto them and validators check
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

ColumnKind = Literal["string", "timestamp", "float", "int", "bool", "category"]

OFFER_KINDS = ("product", "nurture")
TABLE_NAMES = ("offers", "customers", "events", "outcomes", "exposures")


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, its kind and whether a table must have it."""

    name: str
    kind: ColumnKind
    required: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its columns and the column(s) that identify a row."""

    name: str
    columns: tuple[ColumnSpec, ...]
    description: str

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)


CUSTOMERS = TableSpec(
    name="customers",
    description="one row per lead or customer, with profile attributes as extra columns",
    columns=(
        ColumnSpec("customer_id", "string", required=True, nullable=False),
        ColumnSpec("created_at", "timestamp", required=True, nullable=False),
        ColumnSpec("converted", "bool"),
    ),
)
# What a rep reads of a lead, never a model's feature unless a feature set's
# profile.include names one: a name or a phone number tells a rep whom to call but says
# nothing of whether the lead buys, and a model would only learn the training rows by
# heart. Optional text columns of customers; a source config maps its export's onto them
# with ``rename:`` (``{Full Name: name, Firma: company}``). Stored in the profile.
DISPLAY_COLUMNS = ("name", "company", "job_title", "email", "phone", "owner", "territory")
EVENTS = TableSpec(
    name="events",
    description="one row per behaviour event",
    columns=(
        ColumnSpec("customer_id", "category", required=True, nullable=False),
        ColumnSpec("ts", "timestamp", required=True, nullable=False),
        ColumnSpec("event_type", "category", required=True, nullable=False),
        ColumnSpec("channel", "category"),
        ColumnSpec("offer_id", "category"),
        ColumnSpec("value", "float"),
        ColumnSpec("campaign", "category"),
    ),
)
OFFERS = TableSpec(
    name="offers",
    description="one row per offer in the catalog",
    columns=(
        ColumnSpec("offer_id", "string", required=True, nullable=False),
        ColumnSpec("name", "string", required=True, nullable=False),
        ColumnSpec("kind", "string", required=True, nullable=False),
        ColumnSpec("value", "float", required=True, nullable=False),
        ColumnSpec("currency", "string"),  # ISO 4217 code of the value (EUR, USD)
        ColumnSpec("cost", "float"),  # of making the offer once (a discount, a gift)
        ColumnSpec("valid_days", "float"),  # how long an offer made can be taken up
        # the name a German or English reader sees, where it differs from ``name``
        ColumnSpec("name_de", "string"),
        ColumnSpec("name_en", "string"),
        # paid to the customer only when the offer is taken up (a cashback, a bonus)
        ColumnSpec("reward", "float"),
    ),
)
OUTCOMES = TableSpec(
    name="outcomes",
    description="one row per conversion or purchase",
    columns=(
        ColumnSpec("customer_id", "category", required=True, nullable=False),
        ColumnSpec("ts", "timestamp", required=True, nullable=False),
        ColumnSpec("offer_id", "string"),
        ColumnSpec("value", "float"),
    ),
)

EXPOSURES = TableSpec(
    name="exposures",
    description="one row per offer made to a customer",
    columns=(
        ColumnSpec("customer_id", "category", required=True, nullable=False),
        ColumnSpec("ts", "timestamp", required=True, nullable=False),
        ColumnSpec("offer_id", "string", required=True, nullable=False),
        ColumnSpec("channel", "category"),
        # the probability with which the sending policy chose this offer for this customer
        ColumnSpec("propensity", "float"),
    ),
)


@dataclass(frozen=True)
class EventType:
    """A canonical event type: what it means and the channel it comes through by default."""

    name: str
    channel: str
    meaning: str


# the canonical event of a lead met at a trade fair: the sales board counts each campaign's
TRADE_FAIR_VISIT = "trade_fair_visit"

# The event types the shipped feature sets read. Map yours onto them with ``event_types:``
# in the source config; other types load too, and count only in features that name them.
EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType("page_view", "web", "a page of the website was viewed"),
        EventType("pricing_page_view", "web", "the pricing page was viewed"),
        EventType("product_page_view", "web", "a product's page was viewed (offer_id: which)"),
        EventType("download", "web", "content was downloaded (whitepaper, case study)"),
        EventType("email_open", "email", "a marketing e-mail was opened"),
        EventType("email_click", "email", "a link in a marketing e-mail was clicked"),
        EventType("webinar_registered", "webinar", "registered for a webinar"),
        EventType("webinar_attended", "webinar", "attended a webinar"),
        EventType(TRADE_FAIR_VISIT, "trade_fair", "visited the stand / badge scanned at a fair"),
        EventType("call", "sales", "a sales call took place"),
        EventType("meeting", "sales", "a sales meeting took place"),
        EventType("quote_request", "sales", "asked for a quote (offer_id: for what)"),
        EventType("purchase", "sales", "bought (offer_id: what, value: for how much)"),
        EventType("offer_received", "offer", "an offer was sent to the customer"),
        EventType("offer_viewed", "offer", "the customer looked at an offer sent"),
        EventType("offer_completed", "offer", "the customer took up an offer sent"),
        # a rep's actions in the workspace (campaign: the rep's name and note)
        EventType("rep_call_reached", "sales", "a rep called and reached the lead"),
        EventType("rep_call_not_reached", "sales", "a rep called and did not reach the lead"),
        EventType("rep_meeting_booked", "sales", "a rep booked a meeting with the lead"),
        EventType("rep_not_interested", "sales", "the lead told a rep they are not interested"),
        EventType("rep_note", "sales", "a rep wrote a note on the lead"),
        EventType("rep_took_lead", "sales", "a rep took the lead: it is theirs from now on"),
        EventType("rep_snoozed", "sales", "a rep put the lead aside (value: for how many days)"),
    )
}
# the event types a rep records in the workspace, in the order its buttons show them
REP_ACTIONS = (
    "rep_call_reached", "rep_call_not_reached", "rep_meeting_booked", "rep_not_interested",
    "rep_note",
)  # fmt: skip
# a rep's claims on a lead: taken (theirs) or put aside for some days; no outcome of a call
REP_CLAIMS = ("rep_took_lead", "rep_snoozed")
REP_EVENTS = (*REP_ACTIONS, *REP_CLAIMS)  # their campaign holds the rep's name, no campaign

TABLES: dict[str, TableSpec] = {t.name: t for t in (OFFERS, CUSTOMERS, EVENTS, OUTCOMES, EXPOSURES)}

# the events' descriptive columns: what feature filters and distinct counts read
EVENT_CATEGORIES = tuple(
    c.name for c in EVENTS.columns if c.kind == "category" and c.name != "customer_id"
)
# how a column of each kind is held when a table is empty (identifiers as plain text)
_EMPTY_DTYPES: dict[ColumnKind, str] = {
    "string": "str",
    "category": "str",
    "timestamp": "datetime64[us, UTC]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def column_names(table: str) -> list[str]:
    """The canonical columns of ``table``, in their order."""
    return [c.name for c in TABLES[table].columns]


def known_columns(table: str) -> set[str]:
    """The canonical columns of ``table``, as a set."""
    return set(column_names(table))


def empty_table(table: str) -> pd.DataFrame:
    """``table`` with its canonical columns and no rows, for sources that lack it."""
    return pd.DataFrame(
        {c.name: pd.Series(dtype=_EMPTY_DTYPES[c.kind]) for c in TABLES[table].columns}
    )


def with_default_channels(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` with each missing channel that of its canonical event type (a page view's
    is web, a call's sales; other types' stay missing): an event sent without its channel
    counted as activity on none, and a lead's five events scored 18 with channels, 10
    without, its reasons saying both "active today" and "active on no channel"."""
    defaults = events["event_type"].astype("object").map(_DEFAULT_CHANNELS)
    if "channel" not in events:
        return events.assign(channel=defaults.astype("category"))
    given = events["channel"].astype("object")
    if given.notna().all():
        return events
    return events.assign(channel=given.where(given.notna(), defaults).astype("category"))


_DEFAULT_CHANNELS = {name: t.channel for name, t in EVENT_TYPES.items()}
