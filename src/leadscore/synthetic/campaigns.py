"""Offer campaigns: waves of offers made by a logging policy, with the true response of
every customer to every offer, and to none.

A wave reaches a random share of the customers with ground truth. For each, the logging
policy decides: with probability ``exploration`` at random among the offers and "no
offer", otherwise by a marketer's rule (the industry's favourite product for companies of
51 staff or more, the whitepaper for smaller ones). The probability of the decision taken
is logged with the offer made, as a sending system would log it.

The true response, per customer and offer, on the log-odds scale over the chance of taking
it up anyway (buying the product, or reading the content, within the offer's validity
without being offered it):

- products: +3.5, more for sales-ready leads (+0.4 per unit of intent over the reference),
  more for the products the customer leans to; small companies respond more, and large
  enterprises are put off by a pushy product offer (-2.5: some buy less than without it);
- nurture content: +2.0, more for cold leads (-0.7 per unit of intent), more for the
  content the customer leans to.

The ground truth keeps both probabilities for every offer in every decision, so the true
value of any policy is known: the take-up value ``sum pi(o) (p_with(o) value(o) - cost(o))``
and the incremental value ``sum pi(o) ((p_with(o) - p_without(o)) value(o) - cost(o))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.config import SyntheticConfig
from leadscore.synthetic.simulate import EventColumns, History, weekly_hazard
from leadscore.synthetic.world import DAY_US, Calendar, Leads, softmax

OFFER_COUNT = len(cat.OFFERS)
NONE = -1  # the action "no offer"
VALUE = np.array([o.value for o in cat.OFFERS])
COST = np.array([o.cost for o in cat.OFFERS])
VALID_DAYS = np.array([o.valid_days for o in cat.OFFERS], dtype=float)
# response to a product offer by company size (1-10 ... 1000+): enterprises are put off
SIZE_PRODUCT_RESPONSE = np.array([0.5, 0.3, 0.0, -0.6, -2.5])
WHITEPAPER = cat.NURTURE[0]
SEND_HOUR_US = 9 * 3_600 * 1_000_000


@dataclass(frozen=True)
class Decisions:
    """One row per decision of every wave (no offer included)."""

    customer: np.ndarray
    ts_us: np.ndarray
    action: np.ndarray  # offer index, or NONE
    propensity: np.ndarray  # the logging policy's probability of ``action``
    rule_action: np.ndarray  # what the targeting rule would choose
    taken: np.ndarray  # bool; False where no offer was made
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


def response_probabilities(
    leads: Leads,
    customers: np.ndarray,
    intent: np.ndarray,
    season: float,
    reference: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(p_with, p_without), each (customers, offers): taking each offer up within its
    validity if it is made, and doing so anyway if it is not."""
    lift = intent - reference
    p_without = np.empty((len(customers), OFFER_COUNT))
    shift = np.empty_like(p_without)
    products = softmax(leads.product_logits[customers])
    any_purchase = 1.0 - (1.0 - weekly_hazard(intent, season))[:, None] ** (
        VALID_DAYS[list(cat.PRODUCTS)] / 7.0
    )
    p_without[:, cat.PRODUCTS] = any_purchase * products
    shift[:, cat.PRODUCTS] = (
        3.5
        + 0.4 * lift[:, None]
        + 0.8 * np.log(len(cat.PRODUCTS) * products)
        + SIZE_PRODUCT_RESPONSE[leads.size[customers]][:, None]
    )
    content = softmax(leads.nurture_logits[customers])
    engaged = 1.0 / (1.0 + np.exp(-(-4.0 + 0.8 * lift)))
    p_without[:, cat.NURTURE] = np.minimum(engaged[:, None] * len(cat.NURTURE) * content, 0.9)
    shift[:, cat.NURTURE] = 2.0 - 0.7 * lift[:, None] + 0.8 * np.log(len(cat.NURTURE) * content)
    clipped = np.clip(p_without, 1e-9, 1 - 1e-9)
    logit = np.log(clipped) - np.log1p(-clipped)
    p_with = 1.0 / (1.0 + np.exp(-(logit + shift)))
    return p_with, p_without


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
    """Every wave's decisions and their events."""
    waves = config.campaigns
    parts: list[Decisions] = []
    for sent_us in wave_times(config, cal):
        week = int(np.searchsorted(cal.week_start_us, sent_us, side="right")) - 1
        known = history.truth_customers
        active = np.flatnonzero(leads.created_us[known] < sent_us - 7 * DAY_US)
        active = active[~np.isnan(history.intent[active, week - 1])]
        chosen = active[rng.random(len(active)) < waves.reach]
        customers = known[chosen]
        intent = history.intent[chosen, week - 1]  # as behaviour last showed it
        p_with, p_without = response_probabilities(
            leads, customers, intent, float(cal.season[week]), config.intent.reference
        )
        rule = targeting_rule(leads, customers)
        explore = rng.random(len(customers)) < waves.exploration
        drawn = rng.integers(-1, OFFER_COUNT, len(customers))  # -1: no offer
        action = np.where(explore, drawn, rule)
        share = waves.exploration / (OFFER_COUNT + 1)
        propensity = share + (1 - waves.exploration) * (action == rule)
        made = action != NONE
        offer = np.where(made, action, 0)
        taken = made & (rng.random(len(customers)) < p_with[np.arange(len(customers)), offer])
        jitter = rng.integers(0, 120 * 60, len(customers)) * 1_000_000
        parts.append(
            Decisions(
                customers,
                sent_us + jitter,
                action,
                propensity,
                rule,
                taken,
                p_with,
                p_without,
            )
        )
    decisions = _concat(parts)
    return Campaigns(decisions, _events(decisions, rng))


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


def _events(decisions: Decisions, rng: np.random.Generator) -> EventColumns:
    """An offer_received event per offer made, an offer_completed one per take-up, at a
    moment within its validity."""
    made = np.flatnonzero(decisions.action != NONE)
    taken = np.flatnonzero(decisions.taken)
    offer_taken = decisions.action[taken]
    delay = (rng.uniform(0.02, 1.0, len(taken)) * VALID_DAYS[offer_taken] * DAY_US).astype(np.int64)
    email = cat.EVENT_CHANNELS.index("email")
    received = cat.EVENT_TYPE_NAMES.index(cat.OFFER_RECEIVED)
    completed = cat.EVENT_TYPE_NAMES.index(cat.OFFER_COMPLETED)
    customer = np.concatenate([decisions.customer[made], decisions.customer[taken]])
    return EventColumns(
        customer=customer,
        ts_us=np.concatenate([decisions.ts_us[made], decisions.ts_us[taken] + delay]),
        event_type=np.concatenate([np.full(len(made), received), np.full(len(taken), completed)]),
        channel=np.full(len(customer), email),
        offer=np.concatenate([decisions.action[made], offer_taken]),
        campaign=np.full(len(customer), -1),
        value=np.full(len(customer), np.nan),
    )
