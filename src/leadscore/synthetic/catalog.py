"""The fixed world of the synthetic CRM: segments, offers, calendar, event types.

Effects are on the latent buying intent (log-odds scale) unless said otherwise. They are
chosen so that segments differ clearly but behaviour still carries most of the signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INDUSTRIES = ("manufacturing", "retail", "finance", "healthcare", "software", "logistics")
INDUSTRY_SHARE = (0.25, 0.17, 0.15, 0.12, 0.18, 0.13)
INDUSTRY_INTENT = (0.10, -0.25, 0.20, -0.15, 0.30, 0.0)

COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SIZE_SHARE = (0.24, 0.30, 0.25, 0.14, 0.07)
SIZE_INTENT = (-0.45, -0.10, 0.10, 0.25, 0.30)

COUNTRIES = ("DE", "AT", "CH", "NL", "FR", "GB", "US")
COUNTRY_SHARE = (0.38, 0.10, 0.09, 0.10, 0.11, 0.11, 0.11)
COUNTRY_INTENT = (0.10, 0.05, 0.15, 0.0, -0.10, -0.05, -0.15)

LEAD_CHANNELS = (
    "organic_search",
    "paid_search",
    "email_campaign",
    "referral",
    "webinar",
    "trade_fair",
)
LEAD_CHANNEL_SHARE = (0.28, 0.22, 0.14, 0.08, 0.12, 0.16)
LEAD_CHANNEL_INTENT = (0.0, -0.10, -0.25, 0.60, 0.20, 0.30)
# the event that created the lead, per acquisition channel: (event type, event channel)
LEAD_CHANNEL_FIRST_EVENT = (
    ("page_view", "organic_search"),
    ("page_view", "paid_search"),
    ("email_click", "email"),
    ("page_view", "referral"),
    ("webinar_attended", "webinar"),
    ("trade_fair_visit", "trade_fair"),
)
# the lead source an injected change brings in (``InjectedChange``): never seen before it
NEW_LEAD_CHANNEL = "partner_portal"
NEW_LEAD_CHANNEL_INTENT = 0.40
NEW_LEAD_CHANNEL_FIRST_EVENT = ("page_view", "referral")


@dataclass(frozen=True)
class Offer:
    offer_id: str
    name: str
    kind: str
    value: float
    cost: float  # of making the offer once (outreach, a sales call, printed material)
    valid_days: int  # how long an offer made can be taken up
    name_de: str  # what a German reader sees


CURRENCY = "EUR"  # of the offers' values and the purchases' amounts
OFFERS = (
    Offer("O-CRM-CORE", "CRM Core", "product", 12000.0, 150.0, 14, "CRM Core"),
    Offer("O-ANALYTICS", "Analytics Suite", "product", 9000.0, 100.0, 14, "Analytics-Suite"),
    Offer(
        "O-AUTOMATION",
        "Marketing Automation",
        "product",
        15000.0,
        200.0,
        14,
        "Marketing-Automatisierung",
    ),
    Offer("O-SUPPORT", "Premium Support", "product", 4000.0, 60.0, 14, "Premium-Support"),
    Offer(
        "O-WP-ROI",
        "Whitepaper: The ROI of Sales 4.0",
        "nurture",
        300.0,
        2.0,
        21,
        "Whitepaper: Der ROI von Sales 4.0",
    ),
    Offer(
        "O-WEBINAR",
        "Webinar: Predictive Selling in Practice",
        "nurture",
        500.0,
        25.0,
        21,
        "Webinar: Predictive Selling in der Praxis",
    ),
    Offer(
        "O-CASE",
        "Case Study: A Mid-Sized Manufacturer Goes Data-Driven",
        "nurture",
        400.0,
        2.0,
        21,
        "Fallstudie: Ein mittelständischer Hersteller wird datengetrieben",
    ),
)
PRODUCTS = tuple(i for i, o in enumerate(OFFERS) if o.kind == "product")
NURTURE = tuple(i for i, o in enumerate(OFFERS) if o.kind == "nurture")

# product affinity (log-odds among products) by industry: rows industries, cols products
INDUSTRY_PRODUCT_AFFINITY = np.array(
    [
        [0.2, 0.3, 0.9, 0.0],  # manufacturing: automation
        [0.0, 1.0, 0.4, -0.3],  # retail: analytics
        [0.9, 0.2, -0.3, 0.6],  # finance: core + support
        [0.6, 0.0, -0.2, 0.7],  # healthcare: core + support
        [0.1, 0.8, 0.7, -0.4],  # software: analytics + automation
        [0.5, 0.4, 0.3, 0.0],  # logistics: broad
    ]
)
SIZE_PRODUCT_AFFINITY = np.array(
    [
        [0.5, -0.2, -0.4, -0.6],
        [0.3, 0.0, 0.0, -0.3],
        [0.0, 0.1, 0.2, 0.0],
        [-0.2, 0.2, 0.3, 0.4],
        [-0.4, 0.3, 0.3, 0.8],
    ]
)
# nurture content preference by company size: whitepaper, webinar, case study
SIZE_NURTURE_AFFINITY = np.array(
    [
        [0.6, 0.2, -0.3],
        [0.3, 0.3, 0.0],
        [0.0, 0.3, 0.3],
        [-0.2, 0.1, 0.6],
        [-0.3, 0.0, 0.8],
    ]
)

# Monthly multiplier of activity and buying (B2B: slow August and December, strong
# budget months in spring and before year end). Index 0 is January.
SEASON = np.array([0.90, 1.00, 1.10, 1.05, 1.00, 0.95, 0.80, 0.65, 1.05, 1.10, 1.15, 0.75])

# Trade fairs: (name, month, day the fair week contains)
TRADE_FAIRS = (("LogiMAT", 3, 12), ("Hannover Messe", 4, 22), ("dmexco", 9, 18), ("it-sa", 10, 24))


@dataclass(frozen=True)
class EventType:
    """A behaviour event with a weekly rate at reference intent and its intent elasticity."""

    name: str
    rate: float
    elasticity: float
    channel: str
    when: str = "always"  # always | email_week | webinar_week | fair_week
    offer: str = "none"  # none | product | nurture_content | webinar


EVENT_TYPES = (
    EventType("page_view", 0.30, 0.90, "web"),
    EventType("pricing_page_view", 0.030, 1.20, "web"),
    EventType("product_page_view", 0.080, 1.00, "web", offer="product"),
    EventType("email_open", 0.40, 0.50, "email", when="email_week"),
    EventType("email_click", 0.060, 1.00, "email", when="email_week"),
    EventType("download", 0.025, 1.00, "web", offer="nurture_content"),
    EventType("webinar_attended", 0.060, 0.80, "webinar", when="webinar_week", offer="webinar"),
    EventType("trade_fair_visit", 0.25, 0.60, "trade_fair", when="fair_week"),
    EventType("call", 0.025, 1.10, "sales"),
    EventType("meeting", 0.008, 1.30, "sales"),
    EventType("quote_request", 0.0025, 1.50, "sales", offer="product"),
)
PURCHASE = "purchase"
# the events of the channels a segment's shifted behaviour multiplies (``InjectedChange``)
SHIFTED_CHANNELS = ("web", "email")
OFFER_RECEIVED = "offer_received"  # an offer a campaign made (see ``campaigns``)
OFFER_COMPLETED = "offer_completed"  # an offer made, taken up
EVENT_TYPE_NAMES = (*(e.name for e in EVENT_TYPES), PURCHASE, OFFER_RECEIVED, OFFER_COMPLETED)
PAGE_VIEW_CHANNELS = ("organic_search", "paid_search", "direct", "email", "referral")
EVENT_CHANNELS = tuple(
    dict.fromkeys((*PAGE_VIEW_CHANNELS, *(e.channel for e in EVENT_TYPES), "sales", "webinar"))
)
