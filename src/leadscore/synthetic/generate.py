"""Write the synthetic CRM in canonical layout, with ground truth beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from leadscore.synthetic import catalog as cat
from leadscore.synthetic.campaigns import NONE, Decisions, run_campaigns
from leadscore.synthetic.config import SyntheticConfig
from leadscore.synthetic.people import PEOPLE_STREAM, people_frame
from leadscore.synthetic.simulate import EventColumns, simulate
from leadscore.synthetic.truth import conversion_truth, offer_affinity
from leadscore.synthetic.world import Leads, build_calendar, build_leads

TRUTH_DIR = "ground_truth"


@dataclass(frozen=True)
class GeneratedCRM:
    """What was written and the headline figures of the ground truth."""

    directory: Path
    customers: int
    events: int
    purchases: int
    truth_pairs: int
    truth_positive_rate: float
    oracle_auc: float


def generate_crm(config: SyntheticConfig, out: Path) -> GeneratedCRM:
    """Simulate the CRM for ``config`` and write it to ``out`` (same config, same bytes)."""
    rng = np.random.default_rng(config.seed)
    cal = build_calendar(config)
    leads = build_leads(config, cal, rng)
    history = simulate(config, cal, leads, rng)
    truth = conversion_truth(config, cal, leads, history, rng)
    ids = _customer_ids(leads.n)
    # a stream of its own: the CRM's history stays the same with or without campaigns
    campaigns = run_campaigns(config, cal, leads, history, np.random.default_rng([config.seed, 1]))
    # purchases put-off customers would have made are gone from the history; conversion
    # truth keeps its probabilities (a few hundredths of a percent of its labels differ)
    kept = np.setdiff1d(np.arange(len(history.events)), campaigns.cancelled)
    events = EventColumns.concat([history.events.take(kept), campaigns.events])
    events = events.take(np.lexsort((events.event_type, events.ts_us, events.customer)))

    tables = {
        "customers": _customers_frame(leads, ids, config, rng),
        "events": _events_frame(events, ids, cal.campaigns),
        "offers": offers_frame(),
        "exposures": _exposures_frame(campaigns.decisions, ids),
    }
    purchases = tables["events"][tables["events"]["event_type"] == cat.PURCHASE]
    tables["outcomes"] = purchases[["customer_id", "ts", "offer_id", "value"]].reset_index(
        drop=True
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)

    truth_frame = _truth_frame(truth, ids)
    affinity = _affinity_frame(offer_affinity(leads, history.truth_customers), ids)
    (out / TRUTH_DIR).mkdir(exist_ok=True)
    truth_frame.to_parquet(out / TRUTH_DIR / "conversion.parquet", index=False)
    _decisions_frame(campaigns.decisions, ids).to_parquet(
        out / TRUTH_DIR / "offer_decisions.parquet", index=False
    )
    affinity.to_parquet(out / TRUTH_DIR / "offer_affinity.parquet", index=False)
    result = GeneratedCRM(
        directory=out,
        customers=leads.n,
        events=len(tables["events"]),
        purchases=len(purchases),
        truth_pairs=len(truth_frame),
        truth_positive_rate=round(float(truth_frame["converted"].mean()), 6),
        oracle_auc=round(
            float(roc_auc_score(truth_frame["converted"], truth_frame["true_probability"])), 6
        ),
    )
    summary = {
        "customers": result.customers,
        "events": result.events,
        "purchases": result.purchases,
        "truth_pairs": result.truth_pairs,
        "truth_positive_rate": result.truth_positive_rate,
        "oracle_auc": result.oracle_auc,
        "horizon_days": config.horizon_days,
        "config": config.model_dump(mode="json"),
    }
    (out / TRUTH_DIR / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return result


def _customer_ids(n: int) -> pd.Index:
    return pd.Index([f"C-{i:07d}" for i in range(1, n + 1)], dtype="str")


def _codes(codes: np.ndarray, labels: tuple[str, ...] | list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(labels), dtype="str"))


def _with_missing(codes: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(len(codes)) < rate, -1, codes)


def _customers_frame(
    leads: Leads, ids: pd.Index, config: SyntheticConfig, rng: np.random.Generator
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": pd.to_datetime(leads.created_us, unit="us", utc=True),
            "account_id": [f"A-{a:07d}" for a in leads.account + 1],
            "industry": _codes(
                _with_missing(leads.industry, config.missing_industry_rate, rng), cat.INDUSTRIES
            ),
            "company_size": _codes(
                _with_missing(leads.size, config.missing_size_rate, rng), cat.COMPANY_SIZES
            ),
            "country": _codes(
                _with_missing(leads.country, config.missing_country_rate, rng), cat.COUNTRIES
            ),
            "lead_source": _codes(leads.channel, _lead_sources(config)),
            # people: a generator of their own, so every other table is as it was
            **people_frame(
                leads.account,
                leads.country,
                leads.industry,
                np.random.default_rng([config.seed, PEOPLE_STREAM]),
            ),
        }
    )


def _lead_sources(config: SyntheticConfig) -> tuple[str, ...]:
    # the new source is a category only where a change brings it in
    new = (cat.NEW_LEAD_CHANNEL,) if config.change and config.change.new_source_share else ()
    return (*cat.LEAD_CHANNELS, *new)


def _events_frame(events: EventColumns, ids: pd.Index, campaigns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": _codes(events.customer, list(ids)),
            "ts": pd.to_datetime(events.ts_us, unit="us", utc=True),
            "event_type": _codes(events.event_type, cat.EVENT_TYPE_NAMES),
            "channel": _codes(events.channel, cat.EVENT_CHANNELS),
            "offer_id": _codes(events.offer, [o.offer_id for o in cat.OFFERS]),
            "value": events.value,
            "campaign": _codes(events.campaign, campaigns),
        }
    )


def offers_frame() -> pd.DataFrame:
    """The synthetic offer catalog."""
    return pd.DataFrame(
        {
            "offer_id": [o.offer_id for o in cat.OFFERS],
            "name": [o.name for o in cat.OFFERS],
            "name_de": [o.name_de for o in cat.OFFERS],
            "kind": [o.kind for o in cat.OFFERS],
            "value": [o.value for o in cat.OFFERS],
            "currency": [cat.CURRENCY] * len(cat.OFFERS),
            "cost": [o.cost for o in cat.OFFERS],
            "valid_days": [float(o.valid_days) for o in cat.OFFERS],
        }
    )


def _exposures_frame(decisions: Decisions, ids: pd.Index) -> pd.DataFrame:
    """The offers made, as a sending system logs them: with the decision's probability."""
    made = decisions.action != NONE
    return pd.DataFrame(
        {
            "customer_id": _codes(decisions.customer[made], list(ids)),
            "ts": pd.to_datetime(decisions.ts_us[made], unit="us", utc=True),
            "offer_id": np.asarray([o.offer_id for o in cat.OFFERS])[decisions.action[made]],
            "channel": pd.Categorical(["email"] * int(made.sum())),
            "propensity": decisions.propensity[made],
        }
    ).sort_values(["customer_id", "ts"], ignore_index=True)


def _decisions_frame(decisions: Decisions, ids: pd.Index) -> pd.DataFrame:
    """Every decision (no offer included) with the true response to every offer."""
    names = np.asarray(["none", *(o.offer_id for o in cat.OFFERS)])
    frame = pd.DataFrame(
        {
            "customer_id": ids[decisions.customer],
            "ts": pd.to_datetime(decisions.ts_us, unit="us", utc=True),
            "action": names[decisions.action + 1],
            "propensity": decisions.propensity,
            "rule_action": names[decisions.rule_action + 1],
            "taken": decisions.taken,
            "reward": decisions.reward,
        }
    )
    for j, offer in enumerate(cat.OFFERS):
        frame[f"p_with:{offer.offer_id}"] = decisions.p_with[:, j]
        frame[f"p_without:{offer.offer_id}"] = decisions.p_without[:, j]
    return frame


def _truth_frame(truth: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ids[truth["customer"].to_numpy()],
            "as_of": pd.to_datetime(truth["as_of_us"].to_numpy(), unit="us", utc=True),
            "true_probability": truth["true_probability"].to_numpy(),
            "converted": truth["converted"].to_numpy(),
        }
    )


def _affinity_frame(affinity: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    offers = [o.offer_id for o in cat.OFFERS]
    kinds = [o.kind for o in cat.OFFERS]
    return pd.DataFrame(
        {
            "customer_id": ids[affinity["customer"].to_numpy()],
            "offer_id": np.asarray(offers)[affinity["offer"].to_numpy()],
            "kind": np.asarray(kinds)[affinity["offer"].to_numpy()],
            "affinity": affinity["affinity"].to_numpy(),
        }
    ).sort_values(["customer_id", "offer_id"], ignore_index=True)
