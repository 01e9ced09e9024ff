"""The offer response learnt from offers made: weights, and a policy that beats the
logging policy, popularity and random offers on the synthetic ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.evaluation.offer_policy import LEARNT, LOGGING, true_responses
from leadscore.training.exposures import estimated_propensity
from leadscore.training.offer_response import (
    MISSES_PER_TAKE_UP,
    balancing_weights,
    fewer_negatives,
)
from leadscore.training.splits import Split


def test_weights_balance_where_the_logging_policy_put_each_offer(learnt) -> None:
    rows = learnt.rows
    exposed = rows.exposed
    ids = rows.offers["offer_id"].tolist()
    weight = balancing_weights(exposed, ids)
    by_offer = pd.Series(weight).groupby(exposed["offer_id"].to_numpy()).mean()
    np.testing.assert_allclose(by_offer.to_numpy(), 1.0)
    explored = exposed["propensity"].to_numpy() < 0.1
    assert weight[explored].mean() > 5 * weight[~explored].mean()
    # without logged propensities, each offer's share that day stands in
    unlogged = exposed.assign(propensity=np.nan)
    expected = balancing_weights(unlogged.assign(propensity=estimated_propensity(unlogged)), ids)
    np.testing.assert_allclose(balancing_weights(unlogged, ids), expected)


def test_the_learnt_policy_beats_logging_popularity_and_random_on_the_truth(learnt) -> None:
    chosen = learnt.chosen
    fitted = chosen.fitted
    learners = {"pooled", "per_offer", "per_offer_logistic"}
    assert set(chosen.values) | set(chosen.skipped) == {*learners, "average"} - set(
        [] if len(set(chosen.values) & learners) > 1 else ["average"]
    )
    assert all("not enough offers made" in why for why in chosen.skipped.values())
    assert chosen.values[fitted.learner] == max(chosen.values.values())
    assert fitted.learner in chosen.why and "doubly robust" in chosen.why
    evaluation = learnt.evaluation
    test, offers = evaluation.test, fitted.model.offers
    ids = offers["offer_id"].tolist()
    p_with, _ = true_responses(test, learnt.truth, ids)  # every offer made is in the truth
    predicted, _ = fitted.model.probabilities(fitted.encoder.matrix(test))
    for j in np.flatnonzero(offers["kind"].eq("product").to_numpy()):
        assert np.corrcoef(predicted[:, j], p_with[:, j])[0, 1] > 0.5, ids[j]
    compared = evaluation.comparison
    true = {k: v["incremental_value"] for k, v in compared.truth.items()}
    for other in ("popularity", "random", LOGGING):
        assert true[LEARNT] > true[other], (other, true)
    assert true[LEARNT] < true["oracle"]
    estimate = compared.estimates[LEARNT]["dr"]
    assert estimate.value == pytest.approx(compared.truth[LEARNT]["take_up_value"], rel=0.3)
    assert estimate.low < estimate.value < estimate.high
    assert compared.propensity_source == "logged"
    table = compared.table()
    assert set(table["policy"]) == {*compared.estimates, LOGGING}
    per_offer = evaluation.per_offer.set_index("offer_id")
    assert per_offer["test_made"].sum() == len(test)
    assert (per_offer["train_take_up"] > per_offer["anyway_rate"]).all()


def test_estimated_propensity_is_each_offers_share_that_day() -> None:
    exposed = pd.DataFrame(
        {
            "as_of": pd.to_datetime(
                ["2026-05-01 09:00", "2026-05-01 10:00", "2026-05-01 11:00", "2026-05-05 09:00"],
                utc=True,
            ),
            "offer_id": ["A", "A", "B", "B"],
        }
    )
    np.testing.assert_allclose(estimated_propensity(exposed), [2 / 3, 2 / 3, 1 / 3, 1.0])


def test_fewer_misses_keep_every_take_up_and_weigh_for_those_left_out() -> None:
    rng = np.random.default_rng(3)
    label = rng.random(100_000) < 0.02
    split = Split(np.arange(60_000), np.arange(60_000, 80_000), np.arange(80_000, 100_000), "time")
    kept, weight = fewer_negatives(label, split, seed=1)
    fitted = np.arange(80_000)
    assert np.isin(kept, fitted).all()  # test rows are never fitted on
    assert label[kept].sum() == label[fitted].sum()  # every take-up
    misses = ~label[kept]
    assert misses.sum() == pytest.approx(MISSES_PER_TAKE_UP * label[fitted].sum(), rel=0.05)
    assert (weight[~misses] == 1).all()
    # the weighted misses stand for all of them: the fitted chance stays unbiased
    assert weight[misses].sum() == pytest.approx((~label[fitted]).sum(), rel=0.01)
    common = np.zeros(1_000, dtype=bool)
    common[::2] = True  # take-ups as common as misses: nothing is left out
    every, weights = fewer_negatives(
        common, Split(np.arange(1_000), np.arange(0), np.arange(0), "time"), seed=1
    )
    assert len(every) == 1_000 and (weights == 1).all()
