"""The synthetic CRM: realistic shape, deterministic bytes, and a ground truth that is right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from leadscore.synthetic import GeneratedCRM, SyntheticConfig, generate_crm
from tests.conftest import read_table

REQUIRED_EVENT_TYPES = {
    "page_view",
    "pricing_page_view",
    "product_page_view",
    "email_open",
    "email_click",
    "download",
    "webinar_attended",
    "trade_fair_visit",
    "call",
    "meeting",
    "quote_request",
    "purchase",
}


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    config = SyntheticConfig(customers=400, seed=3)
    generate_crm(config, tmp_path / "a")
    generate_crm(config, tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(first) >= {"customers.parquet", "events.parquet", "ground_truth/summary.json"}
    assert first == second


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    generate_crm(SyntheticConfig(customers=400, seed=3), tmp_path / "a")
    generate_crm(SyntheticConfig(customers=400, seed=4), tmp_path / "b")
    a, b = read_table(tmp_path / "a", "events"), read_table(tmp_path / "b", "events")
    assert not a["ts"].equals(b["ts"])


def test_catalog_has_products_and_nurture_content(small_crm: GeneratedCRM) -> None:
    offers = read_table(small_crm.directory, "offers")
    assert len(offers) >= 6
    assert set(offers["kind"]) == {"product", "nurture"}
    assert offers["offer_id"].is_unique
    assert offers.loc[offers["kind"] == "product", "value"].nunique() >= 3


def test_leads_arrive_over_18_months_from_many_channels(small_crm: GeneratedCRM) -> None:
    customers = read_table(small_crm.directory, "customers")
    span = customers["created_at"].max() - customers["created_at"].min()
    assert span >= pd.Timedelta(days=18 * 30)
    assert set(customers["lead_source"].dropna()) >= {
        "organic_search",
        "paid_search",
        "email_campaign",
        "referral",
        "webinar",
        "trade_fair",
    }
    for column in ("industry", "company_size", "country"):
        assert customers[column].isna().any(), f"{column} should have some missing values"
        assert customers[column].nunique() >= 4
    assert customers["customer_id"].is_unique
    assert customers["account_id"].nunique() < len(customers)  # several leads per account


def test_events_cover_every_channel_of_behaviour(small_crm: GeneratedCRM) -> None:
    events = read_table(small_crm.directory, "events")
    customers = read_table(small_crm.directory, "customers")
    assert set(events["event_type"].astype(str)) >= REQUIRED_EVENT_TYPES
    assert str(events["ts"].dtype) == "datetime64[us, UTC]"
    created = (
        events["customer_id"].astype(str).map(customers.set_index("customer_id")["created_at"])
    )
    assert (events["ts"] >= created).all(), "no behaviour before the lead exists"
    product_pages = events[events["event_type"] == "product_page_view"]
    assert product_pages["offer_id"].notna().all()
    assert events["channel"].isna().mean() == pytest.approx(0.03, abs=0.01)


def test_double_fired_tracking_leaves_near_duplicates(small_crm: GeneratedCRM) -> None:
    events = read_table(small_crm.directory, "events")
    key = ["customer_id", "event_type", "channel", "offer_id", "campaign"]
    ordered = events.sort_values([*key, "ts"])
    gap = ordered.groupby(key, observed=True, dropna=False)["ts"].diff()
    near = (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(seconds=3))
    assert 0.005 < near.mean() < 0.03


def test_outcomes_are_the_purchases(small_crm: GeneratedCRM) -> None:
    events = read_table(small_crm.directory, "events")
    outcomes = read_table(small_crm.directory, "outcomes")
    purchases = events[events["event_type"] == "purchase"]
    assert len(outcomes) == len(purchases) == small_crm.purchases > 0
    offers = read_table(small_crm.directory, "offers")
    products = set(offers.loc[offers["kind"] == "product", "offer_id"])
    assert set(outcomes["offer_id"].astype(str)) <= products
    assert (outcomes["value"] > 0).all()


def test_seasonality_shows_in_activity(truth_crm: GeneratedCRM) -> None:
    events = read_table(truth_crm.directory, "events")
    per_month = events.groupby(events["ts"].dt.month).size()
    # August is the slow month, March to May and September to November are busy
    assert per_month[8] < 0.85 * per_month[[3, 9, 10, 11]].mean()


def test_oracle_is_informative_but_not_trivial(truth_crm: GeneratedCRM) -> None:
    truth = pd.read_parquet(truth_crm.directory / "ground_truth" / "conversion.parquet")
    auc = roc_auc_score(truth["converted"], truth["true_probability"])
    assert 0.75 <= auc <= 0.92
    assert auc == pytest.approx(truth_crm.oracle_auc, abs=1e-6)


def test_oracle_probabilities_are_calibrated(truth_crm: GeneratedCRM) -> None:
    """The true probability must match realised rates, overall and per decile."""
    truth = pd.read_parquet(truth_crm.directory / "ground_truth" / "conversion.parquet")
    assert truth["converted"].mean() == pytest.approx(truth["true_probability"].mean(), rel=0.08)
    decile = pd.qcut(truth["true_probability"], 10, labels=False)
    by_decile = truth.groupby(decile).agg(p=("true_probability", "mean"), y=("converted", "mean"))
    n = truth.groupby(decile).size()
    tolerance = 3 * np.sqrt(by_decile["p"] * (1 - by_decile["p"]) / n) + 0.004
    assert ((by_decile["y"] - by_decile["p"]).abs() <= tolerance).all(), by_decile


def test_ground_truth_pairs_precede_their_window(truth_crm: GeneratedCRM) -> None:
    truth = pd.read_parquet(truth_crm.directory / "ground_truth" / "conversion.parquet")
    customers = read_table(truth_crm.directory, "customers").set_index("customer_id")
    created = truth["customer_id"].map(customers["created_at"])
    assert (created < truth["as_of"]).all()
    events = read_table(truth_crm.directory, "events")
    horizon_end = truth["as_of"].max() + pd.Timedelta(days=30)
    assert horizon_end <= events["ts"].max() + pd.Timedelta(days=7)


def test_offer_affinities_are_distributions_that_show_in_behaviour(
    truth_crm: GeneratedCRM,
) -> None:
    affinity = pd.read_parquet(truth_crm.directory / "ground_truth" / "offer_affinity.parquet")
    sums = affinity.groupby(["customer_id", "kind"])["affinity"].sum()
    assert np.allclose(sums, 1.0)
    # customers buy the products they have the highest affinity to more often than chance
    outcomes = read_table(truth_crm.directory, "outcomes")
    first = outcomes.drop_duplicates("customer_id").astype(
        {"offer_id": "str", "customer_id": "str"}
    )
    joined = first.merge(affinity, on=["customer_id", "offer_id"])
    assert joined["affinity"].mean() > 0.25 + 0.05  # 4 products: chance is 0.25


def test_summary_reports_what_was_written(small_crm: GeneratedCRM) -> None:
    summary = json.loads((small_crm.directory / "ground_truth" / "summary.json").read_text())
    assert summary["customers"] == 1_500
    assert summary["events"] == len(read_table(small_crm.directory, "events"))
    assert summary["horizon_days"] == 30
