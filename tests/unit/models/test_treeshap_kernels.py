"""Every kernel (a row alone, blocks on the calling thread, blocks in parallel) gives
LightGBM's own values and margins."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from leadscore.models.treeshap import FastTreeShap
from tests.unit.models.mixed_rows import mixed_rows


@pytest.mark.parametrize("rows", [1, 2, 5, 63, 64, 65, 129])
def test_every_batch_size_gets_the_same_values(rows: int) -> None:
    x, y = mixed_rows(4)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_leaves": 15},
        lgb.Dataset(x, y, categorical_feature=[2]),
        num_boost_round=30,
    )
    test, _ = mixed_rows(5, rows=rows)
    explainer = FastTreeShap(booster)
    expected = booster.predict(test, pred_contrib=True)
    np.testing.assert_allclose(explainer.contributions(test), expected, atol=1e-9)
    np.testing.assert_allclose(
        explainer.margin(test), booster.predict(test, raw_score=True), atol=1e-9
    )
