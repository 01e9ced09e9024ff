"""The weekly simulation: latent intent drives behaviour events and purchases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.config import SEGMENTS, IntentDynamics, SyntheticConfig
from leadscore.synthetic.world import DAY_US, Calendar, Leads, sample_choice

NURTURE_CONTENT = (0, 2)  # whitepaper and case study among the nurture offers
WEBINAR_OFFER = cat.NURTURE[1]
SIZE_DEAL_FACTOR = np.array([0.6, 0.8, 1.0, 1.3, 1.8])
MAX_WEEKLY_HAZARD = 0.95


@dataclass
class EventColumns:
    """Events as parallel arrays of codes (decoded to strings only when written)."""

    customer: np.ndarray
    ts_us: np.ndarray
    event_type: np.ndarray
    channel: np.ndarray
    offer: np.ndarray
    campaign: np.ndarray
    value: np.ndarray

    @classmethod
    def concat(cls, parts: list[EventColumns]) -> EventColumns:
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )

    def take(self, index: np.ndarray) -> EventColumns:
        return EventColumns(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.customer)


@dataclass
class History:
    events: EventColumns  # purchases included (event type "purchase")
    intent: np.ndarray  # (truth customers, weeks) intent during each week
    bought: np.ndarray  # (truth customers, weeks) whether they bought in that week
    truth_customers: np.ndarray


def weekly_hazard(intent: np.ndarray, season: float | np.ndarray) -> np.ndarray:
    """Chance of at least one purchase in a full week at this intent and season."""
    return np.minimum(season / (1.0 + np.exp(-intent)), MAX_WEEKLY_HAZARD)


def next_intent(
    intent: np.ndarray,
    resting: np.ndarray,
    dyn: IntentDynamics,
    noise: np.ndarray,
    trigger: np.ndarray,
) -> np.ndarray:
    """One week of the intent process (AR(1) around the resting level, plus triggers)."""
    return (
        resting
        + dyn.persistence * (intent - resting)
        + dyn.noise_sd * noise
        + dyn.trigger_jump * trigger
    )


def simulate(
    config: SyntheticConfig, cal: Calendar, leads: Leads, rng: np.random.Generator
) -> History:
    dyn = config.intent
    n = leads.n
    truth = np.sort(rng.permutation(n)[: min(config.truth_customers, n)])
    intent_log = np.full((len(truth), cal.weeks), np.nan)
    bought_log = np.zeros((len(truth), cal.weeks), dtype=bool)
    intent = np.full(n, np.nan)
    owned = np.zeros((n, len(cat.PRODUCTS)), dtype=bool)
    bought_last_week = np.zeros(n, dtype=bool)
    parts = [_first_touch_events(leads)]
    shifted = _shifted_segment(config, leads)
    for w in range(cal.weeks):
        old = np.flatnonzero(leads.created_week < w)
        new = np.flatnonzero(leads.created_week == w)
        intent[old] = (
            next_intent(
                intent[old],
                leads.resting_intent[old],
                dyn,
                rng.standard_normal(len(old)),
                rng.random(len(old)) < dyn.trigger_prob,
            )
            - dyn.after_purchase_drop * bought_last_week[old]
        )
        intent[new] = leads.resting_intent[new] + dyn.new_lead_boost + rng.normal(0, 0.5, len(new))
        intent_log[:, w] = intent[truth]
        active = np.flatnonzero(leads.created_week <= w)
        begin = np.maximum(cal.week_start_us[w], leads.created_us[active])
        exposure_us = cal.week_start_us[w + 1] - begin
        activity = shifted[active] if w >= cal.changed_from else 1.0
        parts += _behaviour(
            cal, leads, w, active, intent[active], begin, exposure_us, activity, dyn, rng
        )
        bought, purchase = _purchases(
            cal, leads, w, active, intent[active], begin, exposure_us, owned, rng
        )
        bought_last_week[:] = False
        bought_last_week[bought] = True
        bought_log[:, w] = bought_last_week[truth]
        parts.append(purchase)
    events = EventColumns.concat(parts)
    events = _add_noise(events, config, rng)
    order = np.lexsort((events.event_type, events.ts_us, events.customer))
    return History(events.take(order), intent_log, bought_log, truth)


def _shifted_segment(config: SyntheticConfig, leads: Leads) -> np.ndarray:
    """Each lead's multiplier of web and e-mail events once the injected change holds."""
    change = config.change
    if change is None or change.segment_activity == 1.0:
        return np.ones(leads.n)
    codes = {"industry": leads.industry, "company_size": leads.size, "country": leads.country}
    member = codes[change.segment_field] == SEGMENTS[change.segment_field].index(change.segment)
    return np.where(member, change.segment_activity, 1.0)


def _first_touch_events(leads: Leads) -> EventColumns:
    """The event that made each lead: a search visit, a badge scan, a webinar sign-up..."""
    first = [*cat.LEAD_CHANNEL_FIRST_EVENT, cat.NEW_LEAD_CHANNEL_FIRST_EVENT]
    types = np.array([cat.EVENT_TYPE_NAMES.index(t) for t, _ in first])[leads.channel]
    channels = np.array([cat.EVENT_CHANNELS.index(c) for _, c in first])[leads.channel]
    offer = np.where(types == cat.EVENT_TYPE_NAMES.index("webinar_attended"), WEBINAR_OFFER, -1)
    return EventColumns(
        customer=np.arange(leads.n),
        ts_us=leads.created_us.copy(),
        event_type=types,
        channel=channels,
        offer=offer,
        campaign=np.full(leads.n, -1),
        value=np.full(leads.n, np.nan),
    )


def _behaviour(
    cal: Calendar,
    leads: Leads,
    w: int,
    active: np.ndarray,
    intent: np.ndarray,
    begin: np.ndarray,
    exposure_us: np.ndarray,
    activity: np.ndarray | float,
    dyn: IntentDynamics,
    rng: np.random.Generator,
) -> list[EventColumns]:
    """The week's behaviour events; ``activity`` multiplies the web and e-mail ones."""
    parts = []
    scale = cal.season[w] * exposure_us / (7 * DAY_US)
    lift = intent - dyn.reference
    for code, etype in enumerate(cat.EVENT_TYPES):
        campaign = -1 if etype.when == "always" else int(cal.when(etype.when)[w])
        if etype.when != "always" and campaign < 0:
            continue
        shift = activity if etype.channel in cat.SHIFTED_CHANNELS else 1.0
        counts = rng.poisson(etype.rate * np.exp(etype.elasticity * lift) * scale * shift)
        hit = np.flatnonzero(counts)
        if hit.size == 0:
            continue
        reps = counts[hit]
        who = np.repeat(active[hit], reps)
        ts = np.repeat(begin[hit], reps) + (
            rng.random(len(who)) * np.repeat(exposure_us[hit], reps)
        ).astype(np.int64)
        parts.append(
            EventColumns(
                customer=who,
                ts_us=ts,
                event_type=np.full(len(who), code),
                channel=_channels(etype, len(who), rng),
                offer=_offers(etype, leads, who, rng),
                campaign=np.full(len(who), campaign),
                value=np.full(len(who), np.nan),
            )
        )
    return parts


def _channels(etype: cat.EventType, size: int, rng: np.random.Generator) -> np.ndarray:
    if etype.name == "page_view":
        codes = [cat.EVENT_CHANNELS.index(c) for c in cat.PAGE_VIEW_CHANNELS]
        return rng.choice(codes, size=size, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    return np.full(size, cat.EVENT_CHANNELS.index(etype.channel))


def _offers(
    etype: cat.EventType, leads: Leads, who: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    if etype.offer == "product":
        return np.asarray(cat.PRODUCTS)[sample_choice(leads.product_logits[who], rng)]
    if etype.offer == "nurture_content":
        logits = leads.nurture_logits[who][:, NURTURE_CONTENT]
        content = np.asarray(cat.NURTURE)[list(NURTURE_CONTENT)]
        return content[sample_choice(logits, rng)]
    if etype.offer == "webinar":
        return np.full(len(who), WEBINAR_OFFER)
    return np.full(len(who), -1)


def _purchases(
    cal: Calendar,
    leads: Leads,
    w: int,
    active: np.ndarray,
    intent: np.ndarray,
    begin: np.ndarray,
    exposure_us: np.ndarray,
    owned: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, EventColumns]:
    """First purchase of the week per customer, in continuous time at a constant daily rate."""
    daily = 1.0 - (1.0 - weekly_hazard(intent, cal.season[w])) ** (1.0 / 7.0)
    days = exposure_us / DAY_US
    p_any = 1.0 - (1.0 - daily) ** days
    hit = np.flatnonzero(rng.random(len(active)) < p_any)
    who = active[hit]
    u = rng.random(len(hit))
    offset_days = np.log1p(-u * p_any[hit]) / np.log1p(-daily[hit])
    ts = begin[hit] + (offset_days * DAY_US).astype(np.int64)
    logits = np.where(owned[who], -np.inf, leads.product_logits[who])
    all_owned = owned[who].all(axis=1)
    logits[all_owned, -1] = 0.0  # support renewal for customers who own everything
    product = sample_choice(logits, rng)
    owned[who, product] = True
    offer = np.asarray(cat.PRODUCTS)[product]
    price = np.array([o.value for o in cat.OFFERS])[offer]
    value = np.round(
        price * SIZE_DEAL_FACTOR[leads.size[who]] * rng.lognormal(0, 0.25, len(who)), 2
    )
    purchase = EventColumns(
        customer=who,
        ts_us=ts,
        event_type=np.full(len(who), cat.EVENT_TYPE_NAMES.index(cat.PURCHASE)),
        channel=np.full(len(who), cat.EVENT_CHANNELS.index("sales")),
        offer=offer,
        campaign=np.full(len(who), -1),
        value=value,
    )
    return who, purchase


def _add_noise(
    events: EventColumns, config: SyntheticConfig, rng: np.random.Generator
) -> EventColumns:
    """Double-fired tracking (a second copy seconds later) and events without a channel."""
    trackable = np.isin(
        events.event_type,
        [cat.EVENT_TYPE_NAMES.index(t) for t in ("page_view", "pricing_page_view", "email_open")],
    )
    dup = np.flatnonzero(trackable & (rng.random(len(events)) < config.duplicate_rate))
    copies = events.take(dup)
    copies.ts_us = copies.ts_us + rng.integers(1, 4, size=len(dup)) * 1_000_000
    events = EventColumns.concat([events, copies])
    not_purchase = events.event_type != cat.EVENT_TYPE_NAMES.index(cat.PURCHASE)
    lose = not_purchase & (rng.random(len(events)) < config.missing_channel_rate)
    events.channel = np.where(lose, -1, events.channel)
    return events
