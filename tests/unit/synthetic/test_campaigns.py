"""The synthetic offer campaigns: logged propensities that are the logging policy's own,
take-ups at the true rates, and off-policy estimates that find the true policy values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.evaluation.off_policy import (
    LoggedDecisions,
    evaluate_policy,
    greedy,
    true_value,
    uniform,
)
from leadscore.synthetic import GeneratedCRM, SyntheticConfig, generate_crm
from leadscore.synthetic import catalog as cat
from leadscore.synthetic.generate import TRUTH_DIR
from tests.conftest import read_table

OFFERS = [o.offer_id for o in cat.OFFERS]
VALUE = np.array([o.value for o in cat.OFFERS])
COST = np.array([o.cost for o in cat.OFFERS])


def _decisions(directory: Path) -> pd.DataFrame:
    return pd.read_parquet(directory / TRUTH_DIR / "offer_decisions.parquet")


def _matrix(decisions: pd.DataFrame, prefix: str) -> np.ndarray:
    return decisions[[f"{prefix}:{o}" for o in OFFERS]].to_numpy()


def test_offers_made_are_logged_with_the_logging_policys_probability(
    small_crm: GeneratedCRM,
) -> None:
    decisions = _decisions(small_crm.directory)
    exploration, actions = 0.4, len(OFFERS) + 1
    expected = exploration / actions + (1 - exploration) * (
        decisions["action"] == decisions["rule_action"]
    )
    np.testing.assert_allclose(decisions["propensity"], expected)
    made = decisions[decisions["action"] != "none"]
    exposures = read_table(small_crm.directory, "exposures")
    assert len(exposures) == len(made)
    assert sorted(exposures["propensity"].round(6)) == sorted(made["propensity"].round(6))
    events = read_table(small_crm.directory, "events")
    kinds = events["event_type"].astype("str").value_counts()
    # taken up: completed, or done anyway within the window (bought, read, attended)
    assert kinds["offer_received"] == len(made)
    assert 0.7 * made["taken"].sum() < kinds["offer_completed"] <= made["taken"].sum()
    assert not decisions.loc[decisions["action"] == "none", "taken"].any()
    # one open offer at a time: a customer's next offer comes after the last one's window
    sent = decisions[decisions["action"] != "none"].sort_values(["customer_id", "ts"])
    gap = sent.groupby("customer_id")["ts"].diff().dropna()
    assert gap.min() >= pd.Timedelta(days=14)


def test_take_ups_follow_the_true_probabilities_and_some_are_put_off(
    truth_crm: GeneratedCRM,
) -> None:
    decisions = _decisions(truth_crm.directory)
    made = decisions[decisions["action"] != "none"].reset_index(drop=True)
    chosen = _matrix(made, "p_with")[np.arange(len(made)), made["action"].map(OFFERS.index)]
    standard_error = np.sqrt((chosen * (1 - chosen)).sum()) / len(made)
    assert abs(made["taken"].mean() - chosen.mean()) < 3 * standard_error
    uplift = _matrix(decisions, "p_with") - _matrix(decisions, "p_without")
    assert (uplift < 0).any()  # some customers are put off by an offer
    assert (uplift > 0).mean() > 0.8


def test_off_policy_estimates_cover_the_true_values_on_the_logged_campaigns(
    tmp_path: Path,
) -> None:
    """Three seeds: each estimator's interval holds the true take-up value of the oracle
    policy and of random offers, from the offers the logging policy made."""
    covered = 0
    for seed in range(3):
        crm = generate_crm(
            SyntheticConfig(customers=4_000, seed=seed, truth_customers=4_000), tmp_path / str(seed)
        )
        decisions = _decisions(crm.directory)
        p_with = _matrix(decisions, "p_with")
        worth = p_with * VALUE - COST
        actions = decisions["action"].map({o: j for j, o in enumerate(OFFERS)}).fillna(len(OFFERS))
        logged = LoggedDecisions(
            actions.to_numpy(dtype=int),
            decisions["propensity"].to_numpy(),
            decisions["reward"].to_numpy(),
        )
        model = np.column_stack([worth, np.zeros(len(worth))])  # "no offer" is worth 0
        for policy in (greedy(model), uniform(len(model), len(OFFERS) + 1)):
            truth = true_value(policy, p_with, VALUE, COST)
            got = evaluate_policy(logged, policy, reward_model=model, resamples=300, seed=seed)
            assert got["dr"].value == pytest.approx(truth, rel=0.25)
            covered += got["dr"].low <= truth <= got["dr"].high
            covered += got["ips"].low <= truth <= got["ips"].high
    assert covered >= 10  # of 12 intervals at 95 %: a biased estimate would miss most
