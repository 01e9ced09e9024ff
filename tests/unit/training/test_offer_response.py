"""The offer response learnt from offers made: rows, weights, and a policy that beats the
logging policy, popularity and random offers on the synthetic ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.evaluation.offer_policy import LEARNT, LOGGING, true_responses
from leadscore.features.definitions import load_feature_set
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from leadscore.training.exposures import TAKEN, estimated_propensity
from leadscore.training.offer_response import (
    ANYWAY_PREFIX,
    MISSES_PER_TAKE_UP,
    balancing_weights,
    fewer_negatives,
    response_data,
)
from leadscore.training.splits import Split
from tests.conftest import NOW, REPO


def _config(crm: GeneratedCRM):
    return load_training_config(REPO / "training" / "configs" / "nbo.yaml", source=crm.directory)


def test_rows_not_offered_had_no_offer_near_their_moment(learnt) -> None:
    data, rows = learnt.data, learnt.rows
    control, exposed = rows.control, rows.exposed
    assert 0 < len(control) <= len(exposed)
    longest = pd.Timedelta(days=rows.offers["valid_days"].max())
    made = data.exposures.assign(customer_id=data.exposures["customer_id"].astype("str"))
    near = control.merge(made, on="customer_id")
    assert not ((near["ts"] - near["as_of"]).abs() < longest).any()
    # a purchase of a product, or the content read, counts as taking it up anyway
    assert control[f"{ANYWAY_PREFIX}O-WP-ROI"].mean() > 0.01
    assert exposed[TAKEN].mean() > 0.1 and rows.still_open == 0


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


def test_a_source_without_offers_made_is_told_what_to_add(
    tmp_path: Path, small_crm: GeneratedCRM
) -> None:
    directory = tmp_path / "no_exposures"
    directory.mkdir()
    for name in ("customers", "events", "offers", "outcomes"):
        (directory / f"{name}.parquet").write_bytes(
            (small_crm.directory / f"{name}.parquet").read_bytes()
        )
    config = _config(small_crm)
    data = require_loaded(load_source(canonical_source(directory), now=NOW))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    with pytest.raises(InputError, match=r"no offers made to learn from.*exposure_event_type"):
        response_data(data, feature_set, default_valid_days=30, engagement_event_types=(), seed=0)


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
