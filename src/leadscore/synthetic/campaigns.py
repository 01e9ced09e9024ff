"""Offer campaigns: waves of offers made by a logging policy, with the true response of
every customer to every offer, and to none.

A wave reaches a random share of the customers with ground truth who hold no open offer
(one offer at a time, as a contact rule would have it). For each, the logging policy
decides: with probability ``exploration`` at random among the offers and "no offer",
otherwise by a marketer's rule (the industry's favourite product for companies of 51
staff or more, the whitepaper for smaller ones). The probability of the decision taken is
logged with the offer made, as a sending system would log it.

Taking an offer up means what the label reads: completing the offer (an
``offer_completed`` event), or doing what it offers anyway (buying the product; reading
the content, attending the webinar) within its validity. Without an offer only the
latter can happen: ``p_without`` is its chance, worked out from the simulation's own
rates at the customer's intent. An offer made is completed with a chance of its own:

- products: more for sales-ready leads (+0.4 per unit of intent over the reference) and
  for the products the customer's industry and size lean to (+1.2 per unit of that fit
  over the average product's); small companies respond more. Large enterprises are put
  off by a pushy product offer: they rarely complete it, and 60 % of the purchases they
  would have made anyway in its window do not happen (their take-up falls below
  ``p_without``);
- nurture content: more for cold leads (-0.7 per unit of intent) and for the content the
  customer's size leans to.

``p_with = (1 - put_off) p_without + (1 - (1 - put_off) p_without) completes``. Responses
follow what a CRM can see (segment, readiness shown in behaviour); the ground truth keeps
both probabilities for every offer in every decision, so the true value of any policy is
known: the take-up value ``sum pi(o) (p_with(o) value(o) - cost(o))`` and the incremental
value ``sum pi(o) ((p_with(o) - p_without(o)) value(o) - cost(o))``. The chance of doing
it anyway holds the intent of the week before the wave over the whole window (intent
drifts little in two or three weeks), so the truth is exact to that approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.config import SyntheticConfig
from leadscore.synthetic.simulate import EventColumns, History, weekly_hazard
from leadscore.synthetic.world import DAY_US, Calendar, Leads, softmax

OFFER_COUNT = len(cat.OFFERS)
NONE = -1  # the action "no offer"
VALUE = np.array([o.value for o in cat.OFFERS])
COST = np.array([o.cost for o in cat.OFFERS])
VALID_DAYS = np.array([o.valid_days for o in cat.OFFERS], dtype=float)
# completing a product offer by company size (1-10 ... 1000+): enterprises are put off
SIZE_PRODUCT_RESPONSE = np.array([0.5, 0.3, 0.0, -0.6, -2.5])
PUT_OFF_SIZE = 4  # 1000+
PUT_OFF_SHARE = 0.6  # of the purchases a put-off customer would have made anyway
WHITEPAPER = cat.NURTURE[0]
WEBINAR = cat.NURTURE[1]
CONTENT = (cat.NURTURE[0], cat.NURTURE[2])  # downloaded content: whitepaper, case study
SEND_HOUR_US = 9 * 3_600 * 1_000_000
# the organic events that count as doing what an offer offers, by the offer's kind
ORGANIC_TYPES = ("purchase", "download", "webinar_attended")


@dataclass(frozen=True)
class Decisions:
    """One row per decision of every wave (no offer included)."""

    customer: np.ndarray
    ts_us: np.ndarray
    action: np.ndarray  # offer index, or NONE
    propensity: np.ndarray  # the logging policy's probability of ``action``
    rule_action: np.ndarray  # what the targeting rule would choose
    taken: np.ndarray  # bool: the offer made was taken up; False where none was made
    p_with: np.ndarray  # (rows, offers): chance of taking each offer up if made
    p_without: np.ndarray  # (rows, offers): chance of doing so anyway, not offered

    def __len__(self) -> int:
        return len(self.customer)

    @property
    def reward(self) -> np.ndarray:
        """Value taken up less the cost of the offer made (0 for no offer)."""
        made = self.action != NONE
        offer = np.where(made, self.action, 0)
        return np.where(made, self.taken * VALUE[offer] - COST[offer], 0.0)


@dataclass(frozen=True)
class Campaigns:
    decisions: Decisions
    events: EventColumns  # offer_received and offer_completed
    cancelled: np.ndarray  # rows of the history's events that put-off customers never did


@dataclass(frozen=True)
class Response:
    """Per customer and offer: doing it anyway, completing the offer if made, and the
    share of the anyway take-ups an offer made cancels."""

    without: np.ndarray
    completes: np.ndarray
    put_off: np.ndarray

    @property
    def with_offer(self) -> np.ndarray:
        kept = (1.0 - self.put_off) * self.without
        return kept + (1.0 - kept) * self.completes


def _rate(name: str) -> cat.EventType:
    return next(e for e in cat.EVENT_TYPES if e.name == name)


def anyway_probabilities(
    leads: Leads,
    customers: np.ndarray,
    intent: np.ndarray,
    cal: Calendar,
    week: int,
    reference: float,
) -> np.ndarray:
    """(customers, offers): the chance of buying the product, downloading the content or
    attending the webinar within each offer's validity, at this intent, unoffered."""
    lift = intent - reference
    season = float(cal.season[week])
    out = np.empty((len(customers), OFFER_COUNT))
    weeks = VALID_DAYS / 7.0
    products = softmax(leads.product_logits[customers])
    hazard = weekly_hazard(intent, season)[:, None]
    out[:, cat.PRODUCTS] = (1.0 - (1.0 - hazard) ** weeks[list(cat.PRODUCTS)]) * products
    download = _rate("download")
    content = softmax(leads.nurture_logits[customers][:, [cat.NURTURE.index(c) for c in CONTENT]])
    downloads = download.rate * np.exp(download.elasticity * lift) * season
    for j, offer in enumerate(CONTENT):
        out[:, offer] = 1.0 - np.exp(-downloads * weeks[offer] * content[:, j])
    webinar = _rate("webinar_attended")
    span = int(np.ceil(weeks[WEBINAR]))
    webinar_weeks = int((cal.webinar[week : week + span] >= 0).sum())
    attends = webinar.rate * np.exp(webinar.elasticity * lift) * season
    out[:, WEBINAR] = 1.0 - np.exp(-attends * webinar_weeks)
    return out


def response(
    leads: Leads,
    customers: np.ndarray,
    intent: np.ndarray,
    cal: Calendar,
    week: int,
    reference: float,
) -> Response:
    """How these customers respond to each offer (see the module's text)."""
    lift = intent - reference
    size = leads.size[customers]
    logit = np.empty((len(customers), OFFER_COUNT))
    fit = cat.INDUSTRY_PRODUCT_AFFINITY[leads.industry[customers]] + cat.SIZE_PRODUCT_AFFINITY[size]
    logit[:, cat.PRODUCTS] = (
        -2.0
        + 0.4 * lift[:, None]
        + 1.2 * (fit - fit.mean(axis=1, keepdims=True))
        + SIZE_PRODUCT_RESPONSE[size][:, None]
    )
    leaning = cat.SIZE_NURTURE_AFFINITY[size]
    logit[:, cat.NURTURE] = (
        -1.8 - 0.7 * lift[:, None] + 1.2 * (leaning - leaning.mean(axis=1, keepdims=True))
    )
    put_off = np.zeros_like(logit)
    put_off[np.ix_(size == PUT_OFF_SIZE, cat.PRODUCTS)] = PUT_OFF_SHARE
    return Response(
        anyway_probabilities(leads, customers, intent, cal, week, reference),
        1.0 / (1.0 + np.exp(-logit)),
        put_off,
    )


def targeting_rule(leads: Leads, customers: np.ndarray) -> np.ndarray:
    """A marketer's rule: the industry's favourite product for companies of 51 staff or
    more, the whitepaper for smaller ones."""
    favourite = np.asarray(cat.PRODUCTS)[cat.INDUSTRY_PRODUCT_AFFINITY.argmax(axis=1)]
    large = leads.size[customers] >= 2
    return np.where(large, favourite[leads.industry[customers]], WHITEPAPER)


def wave_times(config: SyntheticConfig, cal: Calendar) -> np.ndarray:
    """The waves' sending moments: ``every_days`` apart, the last one early enough that
    every offer's validity ends within the history."""
    waves = config.campaigns
    last = cal.week_start_us[-1] - int(VALID_DAYS.max() + 2) * DAY_US
    offsets = np.arange(waves.waves - 1, -1, -1) * waves.every_days * DAY_US
    return (last - offsets) // DAY_US * DAY_US + SEND_HOUR_US


def run_campaigns(
    config: SyntheticConfig,
    cal: Calendar,
    leads: Leads,
    history: History,
    rng: np.random.Generator,
) -> Campaigns:
    """Every wave's decisions, their events, and the anyway take-ups they cancelled."""
    waves = config.campaigns
    known = history.truth_customers
    open_until = np.zeros(len(known), dtype=np.int64)  # a customer's open offer's end
    organic = _organic_events(history.events)
    parts: list[Decisions] = []
    completed: list[np.ndarray] = []
    cancelled: list[np.ndarray] = []
    for sent_us in wave_times(config, cal):
        week = int(np.searchsorted(cal.week_start_us, sent_us, side="right")) - 1
        active = np.flatnonzero(
            (leads.created_us[known] < sent_us - 7 * DAY_US) & (open_until <= sent_us)
        )
        active = active[~np.isnan(history.intent[active, week - 1])]
        chosen = active[rng.random(len(active)) < waves.reach]
        customers = known[chosen]
        intent = history.intent[chosen, week - 1]  # as behaviour last showed it
        truth = response(leads, customers, intent, cal, week, config.intent.reference)
        rule = targeting_rule(leads, customers)
        explore = rng.random(len(customers)) < waves.exploration
        drawn = rng.integers(-1, OFFER_COUNT, len(customers))  # -1: no offer
        action = np.where(explore, drawn, rule)
        share = waves.exploration / (OFFER_COUNT + 1)
        propensity = share + (1 - waves.exploration) * (action == rule)
        made = action != NONE
        offer = np.where(made, action, 0)
        rows = np.arange(len(customers))
        completes = made & (rng.random(len(customers)) < truth.completes[rows, offer])
        sent = sent_us + rng.integers(0, 120 * 60, len(customers)) * 1_000_000
        ends = sent + (VALID_DAYS[offer] * DAY_US).astype(np.int64)
        open_until[chosen[made]] = ends[made]
        anyway, dropped = _anyway_in_window(
            organic, customers, offer, made, sent, ends, truth.put_off[rows, offer], rng
        )
        cancelled.append(dropped)
        completed.append(completes)
        parts.append(
            Decisions(
                customers,
                sent,
                action,
                propensity,
                rule,
                completes | anyway,
                truth.with_offer,
                truth.without,
            )
        )
    decisions = _concat(parts)
    completes = np.concatenate(completed) if completed else np.zeros(0, dtype=bool)
    dropped = np.unique(np.concatenate(cancelled)) if cancelled else np.zeros(0, np.int64)
    return Campaigns(decisions, _events(decisions, completes, rng), dropped)


def _organic_events(events: EventColumns) -> pd.DataFrame:
    """The history's events that do what an offer offers: purchases, downloads and
    webinar attendances naming it, with their rows in the history."""
    kinds = [cat.EVENT_TYPE_NAMES.index(t) for t in ORGANIC_TYPES]
    rows = np.flatnonzero(np.isin(events.event_type, kinds) & (events.offer >= 0))
    return pd.DataFrame(
        {
            "customer": events.customer[rows],
            "offer": events.offer[rows],
            "ts_us": events.ts_us[rows],
            "row": rows,
            "purchase": events.event_type[rows] == cat.EVENT_TYPE_NAMES.index(cat.PURCHASE),
        }
    )


def _anyway_in_window(
    organic: pd.DataFrame,
    customers: np.ndarray,
    offer: np.ndarray,
    made: np.ndarray,
    sent: np.ndarray,
    ends: np.ndarray,
    put_off: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Per decision with an offer made: whether the customer did it anyway within the
    window, after the put-off share of such purchases is cancelled; and the history rows
    cancelled."""
    decided = pd.DataFrame(
        {"decision": np.flatnonzero(made), "customer": customers[made], "offer": offer[made]}
    )
    joined = decided.merge(organic, on=["customer", "offer"], how="inner")
    start, end = sent[joined["decision"]], ends[joined["decision"]]
    inside = joined[(joined["ts_us"].to_numpy() > start) & (joined["ts_us"].to_numpy() <= end)]
    odds = put_off[inside["decision"].to_numpy()] * inside["purchase"].to_numpy()
    cancel = rng.random(len(inside)) < odds
    anyway = np.zeros(len(customers), dtype=bool)
    anyway[inside.loc[~cancel, "decision"].to_numpy()] = True
    return anyway, inside.loc[cancel, "row"].to_numpy(dtype=np.int64)


def _concat(parts: list[Decisions]) -> Decisions:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        grid = np.zeros((0, OFFER_COUNT))
        return Decisions(
            empty, empty, empty, np.zeros(0), empty, np.zeros(0, bool), grid, grid.copy()
        )
    return Decisions(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Decisions.__dataclass_fields__)
    )


def _events(decisions: Decisions, completes: np.ndarray, rng: np.random.Generator) -> EventColumns:
    """An offer_received event per offer made, an offer_completed one per offer completed,
    at a moment within its validity."""
    made = np.flatnonzero(decisions.action != NONE)
    done = np.flatnonzero(completes)
    offer_done = decisions.action[done]
    delay = (rng.uniform(0.02, 1.0, len(done)) * VALID_DAYS[offer_done] * DAY_US).astype(np.int64)
    email = cat.EVENT_CHANNELS.index("email")
    received = cat.EVENT_TYPE_NAMES.index(cat.OFFER_RECEIVED)
    completed = cat.EVENT_TYPE_NAMES.index(cat.OFFER_COMPLETED)
    customer = np.concatenate([decisions.customer[made], decisions.customer[done]])
    return EventColumns(
        customer=customer,
        ts_us=np.concatenate([decisions.ts_us[made], decisions.ts_us[done] + delay]),
        event_type=np.concatenate([np.full(len(made), received), np.full(len(done), completed)]),
        channel=np.full(len(customer), email),
        offer=np.concatenate([decisions.action[made], offer_done]),
        campaign=np.full(len(customer), -1),
        value=np.full(len(customer), np.nan),
    )
