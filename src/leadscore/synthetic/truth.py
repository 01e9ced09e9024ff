"""Ground truth: the true 30-day conversion probability and offer affinities.

The oracle knows each customer's latent intent in the week before the as-of moment (the
latest intent that behaviour could have shown), whether they bought then, and the dynamics
of the process; it does not know the noise from the as-of moment on. Its probability is
a Monte Carlo average over future intent paths (common random numbers for all pairs, so
its ranking is not blurred by sampling noise). A purchase in the window decides the
label, so the paths never need the post-purchase drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.config import SyntheticConfig
from leadscore.synthetic.simulate import History, next_intent, weekly_hazard
from leadscore.synthetic.world import DAY_US, Calendar, Leads, softmax

_CHUNK = 4096


def truth_weeks(config: SyntheticConfig, cal: Calendar) -> np.ndarray:
    """Week indices of the as-of dates: every few weeks, with the horizon inside the history."""
    horizon_weeks = int(np.ceil(config.horizon_days / 7))
    first = 12
    return np.arange(first, cal.weeks - horizon_weeks + 1, config.truth_every_weeks)


def conversion_truth(
    config: SyntheticConfig,
    cal: Calendar,
    leads: Leads,
    history: History,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per (sampled customer, as-of date) with the true and realised outcome."""
    rows = []
    purchases = history.events.event_type == cat.EVENT_TYPE_NAMES.index(cat.PURCHASE)
    buyer, bought_at = history.events.customer[purchases], history.events.ts_us[purchases]
    paths = _future_paths(config, rng)
    for w in truth_weeks(config, cal):
        as_of = cal.week_start_us[w]
        member = np.flatnonzero(leads.created_us[history.truth_customers] < as_of)
        customers = history.truth_customers[member]
        probability = _oracle(
            config,
            cal,
            w,
            history.intent[member, w - 1],
            history.bought[member, w - 1],
            leads.resting_intent[customers],
            paths,
        )
        realised = _bought_within(
            buyer, bought_at, customers, as_of, as_of + config.horizon_days * DAY_US
        )
        rows.append(
            pd.DataFrame(
                {
                    "customer": customers,
                    "as_of_us": np.full(len(customers), as_of),
                    "true_probability": probability,
                    "converted": realised,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _future_paths(config: SyntheticConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    steps = int(np.ceil(config.horizon_days / 7)) + 1
    noise = rng.standard_normal((steps, config.oracle_paths))
    trigger = rng.random((steps, config.oracle_paths)) < config.intent.trigger_prob
    return noise, trigger


def _oracle(
    config: SyntheticConfig,
    cal: Calendar,
    week: int,
    intent_before: np.ndarray,
    bought_before: np.ndarray,
    resting: np.ndarray,
    paths: tuple[np.ndarray, ...],
) -> np.ndarray:
    """P(purchase in the horizon) from the week before ``week``, which starts at the as-of."""
    noise, trigger = paths
    out = np.empty(len(intent_before))
    for lo in range(0, len(intent_before), _CHUNK):
        z = np.repeat(intent_before[lo : lo + _CHUNK, None], noise.shape[1], axis=1)
        mu = resting[lo : lo + _CHUNK, None]
        drop = config.intent.after_purchase_drop * bought_before[lo : lo + _CHUNK, None]
        log_survival = np.zeros_like(z)
        days_left = config.horizon_days
        step = 0
        while days_left > 0:
            z = next_intent(z, mu, config.intent, noise[step], trigger[step])
            if step == 0:
                z = z - drop
            days = min(7, days_left)
            hazard = weekly_hazard(z, cal.season[week + step])
            log_survival += (days / 7.0) * np.log1p(-hazard)
            days_left -= days
            step += 1
        out[lo : lo + _CHUNK] = 1.0 - np.exp(log_survival).mean(axis=1)
    return out


def _bought_within(
    buyer: np.ndarray, bought_at: np.ndarray, customers: np.ndarray, start: int, end: int
) -> np.ndarray:
    in_window = (bought_at > start) & (bought_at <= end)
    return np.isin(customers, buyer[in_window])


def offer_affinity(leads: Leads, customers: np.ndarray) -> pd.DataFrame:
    """True affinity per offer: the chance of choosing it within its kind (products, content)."""
    product = softmax(leads.product_logits[customers])
    nurture = softmax(leads.nurture_logits[customers])
    frames = []
    for column, offer in enumerate(cat.PRODUCTS):
        frames.append((offer, product[:, column]))
    for column, offer in enumerate(cat.NURTURE):
        frames.append((offer, nurture[:, column]))
    return pd.DataFrame(
        {
            "customer": np.tile(customers, len(frames)),
            "offer": np.repeat([o for o, _ in frames], len(customers)),
            "affinity": np.concatenate([a for _, a in frames]),
        }
    )
