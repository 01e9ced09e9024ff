"""A next-best-offer model learnt from offers made: it reads back the same, ranks by
incremental value with "no offer" when none adds any, and explains what making an offer
adds by exact TreeSHAP values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.models.offer_response import (
    AveragedOffer,
    IncrementalOffer,
    OfferResponse,
    ResponseNBOModel,
    offer_money,
)
from leadscore.scoring.fast_models import fast_nbo, fast_offer_models
from tests.conftest import LearntOffers


def test_a_response_model_reads_back_the_same(learnt: LearntOffers, tmp_path: Path) -> None:
    model = learnt.evaluation.model
    model.save(tmp_path / "model")
    loaded = ResponseNBOModel.load(tmp_path / "model")
    matrix = model.encoder.matrix(learnt.evaluation.test)
    for got, want in zip(
        loaded.expected_values(matrix), model.expected_values(matrix), strict=True
    ):
        np.testing.assert_allclose(got, want, atol=1e-12)
    assert loaded.offers["offer_id"].tolist() == model.offers["offer_id"].tolist()
    assert not loaded.splits_by_readiness  # what an offer adds decides, not the grade


def test_offers_rank_by_incremental_value_and_none_wins_where_none_adds(
    learnt: LearntOffers,
) -> None:
    model = learnt.evaluation.model
    matrix = model.encoder.matrix(learnt.evaluation.test.head(300))
    propensity, incremental = model.expected_values(matrix)
    p_with, p_without = model.response.probabilities(matrix)
    value = model.offers["value"].to_numpy(dtype=float)
    cost = model.offers["cost"].to_numpy(dtype=float)
    np.testing.assert_allclose(incremental, (p_with - p_without) * value - cost)
    np.testing.assert_allclose(propensity, p_with)
    eligible = np.ones_like(incremental, dtype=bool)
    worthless = incremental.copy()
    worthless[0] = -1.0  # nothing adds value for the first lead
    ranked = model.rank(propensity, eligible, worthless)
    assert ranked[0] == []
    for i, offers in enumerate(ranked[1:], start=1):
        values = [o["expected_value"] for o in offers]
        assert values == sorted(values, reverse=True) and all(v > 0 for v in values)
        assert len(offers) == min(model.config.max_offers, int((worthless[i] > 0).sum()))
    with pytest.raises(ValueError, match="incremental value"):
        model.rank(propensity, eligible)


def test_reasons_are_exact_treeshap_of_what_making_the_offer_adds(learnt: LearntOffers) -> None:
    model = learnt.evaluation.model
    matrix = model.encoder.matrix(learnt.evaluation.test.head(100))
    for offer in ("O-ANALYTICS", "O-WP-ROI"):
        incremental = model.models[offer]
        assert isinstance(incremental, IncrementalOffer) and incremental.anyway is not None
        values = incremental.contributions(matrix)
        expected = incremental.taken.contributions(matrix) - incremental.anyway.contributions(
            matrix
        )
        np.testing.assert_allclose(values, expected, atol=1e-12)
        margin = incremental.taken.margin(matrix) - incremental.anyway.margin(matrix)
        np.testing.assert_allclose(values.sum(axis=1), margin, atol=1e-9)
    fast = fast_nbo(model)  # the serving copy: the same values, compiled
    rows = np.arange(100)
    offers = ["O-ANALYTICS"] * 100
    np.testing.assert_allclose(
        fast.offer_contributions(matrix, rows, offers),
        model.offer_contributions(matrix, rows, offers),
        atol=1e-9,
    )
    for got, want in zip(fast.expected_values(matrix), model.expected_values(matrix), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_views_of_one_pooled_model_share_one_compiled_copy(learnt: LearntOffers) -> None:
    anyway = learnt.evaluation.model.response.anyway  # a booster over (customer, offer) pairs
    fast = fast_offer_models(anyway)
    pooled = {id(view.pooled) for view in fast.values()}
    assert len(pooled) == 1 and next(iter(fast.values())).pooled.fast is not None
    assert all(view.calibrator is anyway[o].calibrator for o, view in fast.items())


def test_an_average_of_learners_is_explained_exactly_and_reads_back(
    learnt: LearntOffers, tmp_path: Path
) -> None:
    response = learnt.evaluation.model.response
    matrix = learnt.evaluation.model.encoder.matrix(learnt.evaluation.test.head(100))
    members = {o: [response.taken[o], response.anyway[o]] for o in response.offer_ids}
    averaged = {o: AveragedOffer(m) for o, m in members.items()}
    offer = averaged["O-ANALYTICS"]
    logits = [
        np.log(m.probability(matrix) / (1 - m.probability(matrix))) for m in members["O-ANALYTICS"]
    ]
    np.testing.assert_allclose(offer.margin(matrix), np.mean(logits, axis=0), atol=1e-9)
    np.testing.assert_allclose(
        offer.contributions(matrix).sum(axis=1), offer.margin(matrix), atol=1e-9
    )
    both = dataclasses.replace(response, taken=averaged)
    both.save(tmp_path / "response")
    loaded = OfferResponse.load(tmp_path / "response")
    for got, want in zip(loaded.probabilities(matrix), both.probabilities(matrix), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)
    fast = fast_offer_models(averaged)
    np.testing.assert_allclose(
        fast["O-ANALYTICS"].contributions(matrix), offer.contributions(matrix), atol=1e-9
    )


def test_a_catalogs_value_cost_and_reward_with_zeros_where_none_is_given() -> None:
    older = pd.DataFrame({"offer_id": ["a", "b"], "value": [10.0, 5.0], "cost": [1.0, None]})
    value, cost, reward = offer_money(older)  # a model saved before rewards: none paid
    assert value.tolist() == [10.0, 5.0] and cost.tolist() == [1.0, 0.0]
    assert reward.tolist() == [0.0, 0.0]
    value, cost, reward = offer_money(older.assign(reward=[4.0, None]))
    assert reward.tolist() == [4.0, 0.0]
