"""Serving copies give the models' own values, faster, and leave the models given alone."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.models.calibrator import Calibrator
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.nbo import OFFER_FEATURE, NBOModel, OfferView, with_offer
from leadscore.models.nbo_config import NBOConfig
from leadscore.models.propensity import PropensityModel
from leadscore.scoring.fast_models import fast_conversion, fast_nbo

OFFERS = ["O-1", "O-2", "O-3"]


def _booster(x: np.ndarray, y: np.ndarray, categorical: list[int]) -> lgb.Booster:
    data = lgb.Dataset(x, y, categorical_feature=categorical, params={"verbosity": -1})
    params = {"objective": "binary", "num_leaves": 7, "verbosity": -1, "num_threads": 1}
    return lgb.train(params, data, num_boost_round=30)


def _propensity(booster: lgb.Booster, encoder: FeatureEncoder) -> PropensityModel:
    return PropensityModel(booster, encoder, Calibrator("platt"), {"grades": {"A": 50}})


def test_a_fast_conversion_copy_equals_the_model_and_leaves_it_alone() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 3))
    y = rng.random(2000) < 1 / (1 + np.exp(-x[:, 0]))
    model = _propensity(_booster(x, y, []), FeatureEncoder(["a", "b", "c"], {}))
    given = ConversionPredictor(model)
    fast = fast_conversion(given)
    assert given.model.fast is None and fast.model.fast is not None
    assert fast.model is not given.model
    np.testing.assert_allclose(fast.model.contributions(x[:50]), model.contributions(x[:50]))
    np.testing.assert_allclose(fast.probability(x[:50]), given.probability(x[:50]))


def test_a_fast_pooled_offer_copy_equals_the_model_and_leaves_it_alone() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 2))
    codes = rng.integers(0, len(OFFERS), 3000).astype(float)
    y = rng.random(3000) < 1 / (1 + np.exp(-(x[:, 0] + codes - 1)))
    encoder = FeatureEncoder(["a", "b", OFFER_FEATURE], {OFFER_FEATURE: OFFERS})
    pooled = _propensity(_booster(with_offer(x, codes), y, [2]), encoder)
    catalog = pd.DataFrame(
        {"offer_id": OFFERS, "name": OFFERS, "kind": "product", "value": [1.0, 2.0, 3.0]}
    )
    views = {o: OfferView(pooled, o) for o in OFFERS}
    given = NBOModel(catalog, views, {}, NBOConfig(), ["a", "b"])
    fast = fast_nbo(given)
    assert given.pooled_fast is None and fast.pooled_fast is not None
    assert pooled.fast is None
    np.testing.assert_allclose(fast.propensities(x[:40]), given.propensities(x[:40]), atol=1e-12)
    rows = np.arange(40) % 7
    chosen = [OFFERS[k % 3] for k in range(40)]
    np.testing.assert_allclose(
        fast.offer_contributions(x[:40], rows, chosen),
        given.offer_contributions(x[:40], rows, chosen),
        atol=1e-9,
    )
