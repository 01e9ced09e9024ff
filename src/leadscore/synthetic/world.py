"""Static parts of the synthetic CRM: the calendar, accounts and leads with their traits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.config import SyntheticConfig

DAY_US = 86_400 * 1_000_000
WEEK_US = 7 * DAY_US


@dataclass(frozen=True)
class Calendar:
    """Week grid of the history and what happens in each week."""

    start: date
    week_start_us: np.ndarray  # (W + 1,) microseconds since the epoch, UTC
    season: np.ndarray  # (W,) multiplier of activity and buying
    email_campaign: np.ndarray  # (W,) index into campaigns, -1 when no mailing
    webinar: np.ndarray
    fair: np.ndarray
    campaigns: tuple[str, ...]
    changed_from: int  # the first week of the injected change (``weeks``: no change)
    # (W,) multiplier of leads created: the season without the change, which leaves the
    # leads alone so that the history before it stays what it would have been
    created_season: np.ndarray

    @property
    def weeks(self) -> int:
        return len(self.season)

    def when(self, kind: str) -> np.ndarray:
        """Campaign index per week for a kind of event (-1: it does not happen)."""
        return {
            "email_week": self.email_campaign,
            "webinar_week": self.webinar,
            "fair_week": self.fair,
        }[kind]


def build_calendar(config: SyntheticConfig) -> Calendar:
    start = config.end - timedelta(weeks=config.weeks)
    starts = [start + timedelta(weeks=w) for w in range(config.weeks + 1)]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    week_start_us = np.array(
        [
            int((datetime(d.year, d.month, d.day, tzinfo=UTC) - epoch).total_seconds()) * 1_000_000
            for d in starts
        ],
        dtype=np.int64,
    )
    mid_months = [(d + timedelta(days=3)).month for d in starts[:-1]]
    created_season = cat.SEASON[np.array(mid_months) - 1]
    season, changed_from = created_season, config.weeks
    if config.change is not None:
        changed_from = next(w for w, d in enumerate(starts) if d >= config.change.after)
        if config.change.season is not None:
            changed = np.arange(config.weeks) >= changed_from
            season = np.where(changed, config.change.season, created_season)
    campaigns: list[str] = []

    def campaign(name: str) -> int:
        campaigns.append(name)
        return len(campaigns) - 1

    email = np.full(config.weeks, -1)
    webinar = np.full(config.weeks, -1)
    fair = np.full(config.weeks, -1)
    for w, ws in enumerate(starts[:-1]):
        days = [ws + timedelta(days=i) for i in range(7)]
        if w % 2 == 0:
            email[w] = campaign(f"EM-{ws:%Y-%m-%d}")
        if any(d.weekday() == 3 and d.day <= 7 for d in days):
            webinar[w] = campaign(f"WB-{(ws + timedelta(days=3)):%Y-%m}")
        for name, month, day in cat.TRADE_FAIRS:
            if any(d.month == month and d.day == day for d in days):
                fair[w] = campaign(f"{name} {ws.year}")
    return Calendar(
        start,
        week_start_us,
        season,
        email,
        webinar,
        fair,
        tuple(campaigns),
        changed_from,
        created_season,
    )


@dataclass(frozen=True)
class Leads:
    """Leads sorted by creation time, with their traits (codes index the catalog tuples)."""

    created_us: np.ndarray
    created_week: np.ndarray
    account: np.ndarray
    industry: np.ndarray
    size: np.ndarray
    country: np.ndarray
    channel: np.ndarray
    resting_intent: np.ndarray
    product_logits: np.ndarray  # (n, products)
    nurture_logits: np.ndarray  # (n, nurture offers)

    @property
    def n(self) -> int:
        return len(self.created_us)


def build_leads(config: SyntheticConfig, cal: Calendar, rng: np.random.Generator) -> Leads:
    n, weeks = config.customers, cal.weeks
    growth = 1.0 + 0.6 * np.arange(weeks) / weeks
    weights = growth * cal.created_season
    created_week = rng.choice(weeks, size=n, p=weights / weights.sum())
    channel = rng.choice(len(cat.LEAD_CHANNELS), size=n, p=cat.LEAD_CHANNEL_SHARE)
    # trade-fair leads are badge scans at a fair, webinar leads sign up for a webinar
    for code, event_weeks in ((5, cal.fair), (4, cal.webinar)):
        chosen = channel == code
        candidates = np.flatnonzero(event_weeks >= 0)
        created_week[chosen] = rng.choice(candidates, size=int(chosen.sum()))
    offset = (rng.random(n) * (7 * 86_400 - 1)).astype(np.int64) * 1_000_000
    created_us = cal.week_start_us[created_week] + offset
    order = np.argsort(created_us, kind="stable")
    created_us, created_week, channel = created_us[order], created_week[order], channel[order]

    if config.change is not None:
        channel = _new_source(config, cal, created_week, channel)

    n_accounts = int(np.ceil(n / config.leads_per_account))
    account = rng.integers(0, n_accounts, size=n)
    acc_industry = rng.choice(len(cat.INDUSTRIES), size=n_accounts, p=cat.INDUSTRY_SHARE)
    acc_size = rng.choice(len(cat.COMPANY_SIZES), size=n_accounts, p=cat.SIZE_SHARE)
    acc_country = rng.choice(len(cat.COUNTRIES), size=n_accounts, p=cat.COUNTRY_SHARE)
    industry, size, country = acc_industry[account], acc_size[account], acc_country[account]

    resting = (
        config.intent.base
        + np.take(cat.INDUSTRY_INTENT, industry)
        + np.take(cat.SIZE_INTENT, size)
        + np.take(cat.COUNTRY_INTENT, country)
        + np.take((*cat.LEAD_CHANNEL_INTENT, cat.NEW_LEAD_CHANNEL_INTENT), channel)
        + rng.normal(0.0, config.intent.customer_sd, size=n)
    )
    product_logits = (
        cat.INDUSTRY_PRODUCT_AFFINITY[industry]
        + cat.SIZE_PRODUCT_AFFINITY[size]
        + rng.normal(0.0, 0.6, size=(n, len(cat.PRODUCTS)))
    )
    nurture_logits = cat.SIZE_NURTURE_AFFINITY[size] + rng.normal(
        0.0, 0.6, size=(n, len(cat.NURTURE))
    )
    return Leads(
        created_us,
        created_week,
        account,
        industry,
        size,
        country,
        channel,
        resting,
        product_logits,
        nurture_logits,
    )


def _new_source(
    config: SyntheticConfig, cal: Calendar, created_week: np.ndarray, channel: np.ndarray
) -> np.ndarray:
    """Some of the leads created in the changed weeks come in through the new source (a
    stream of its own: the leads' other traits stay as they would have been)."""
    assert config.change is not None
    rng = np.random.default_rng([config.seed, 2])
    late = (created_week >= cal.changed_from) & (
        rng.random(len(channel)) < config.change.new_source_share
    )
    return np.where(late, len(cat.LEAD_CHANNELS), channel)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def sample_choice(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of ``logits`` (Gumbel-max, vectorised)."""
    gumbel = -np.log(-np.log(rng.random(logits.shape)))
    return np.argmax(logits + gumbel, axis=1)
