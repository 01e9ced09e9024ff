"""The compiled TreeSHAP gives LightGBM's own values: every split kind, missing values."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from leadscore.models.treeshap import FastTreeShap, reads_feature
from tests.unit.models.mixed_rows import mixed_rows


@pytest.mark.parametrize(
    "params",
    [
        {"num_leaves": 15},
        {"num_leaves": 31, "zero_as_missing": True},  # 'Zero' missing type
        {"num_leaves": 7, "use_missing": False},  # 'None' missing type everywhere
        {"num_leaves": 63, "max_cat_to_onehot": 8},  # one-vs-rest categorical splits
    ],
)
def test_values_equal_lightgbm_pred_contrib(params: dict) -> None:
    x, y = mixed_rows(1)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "min_data_in_leaf": 5, **params},
        lgb.Dataset(x, y, categorical_feature=[2]),
        num_boost_round=40,
    )
    test, _ = mixed_rows(2, rows=500)
    test[:5, 2] = [-1, 99, 2.7, np.nan, 5]  # unseen, negative and fractional codes
    explainer = FastTreeShap(booster)
    ours = explainer.contributions(test)
    np.testing.assert_allclose(ours, booster.predict(test, pred_contrib=True), atol=1e-9)
    np.testing.assert_allclose(ours[:3], booster.predict(test[:3], pred_contrib=True), atol=1e-9)
    np.testing.assert_allclose(
        explainer.margin(test), booster.predict(test, raw_score=True), atol=1e-9
    )


def test_early_stopped_boosters_are_explained_up_to_their_best_round() -> None:
    x, y = mixed_rows(3)
    train, valid = lgb.Dataset(x[:3000], y[:3000]), lgb.Dataset(x[3000:], y[3000:])
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "learning_rate": 0.3},
        train,
        num_boost_round=500,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(5, verbose=False)],
        keep_training_booster=True,  # keeps the rounds after the best one
    )
    assert booster.best_iteration < booster.num_trees()
    np.testing.assert_allclose(
        FastTreeShap(booster).contributions(x[:200]),
        booster.predict(x[:200], pred_contrib=True),
        atol=1e-9,
    )


def test_values_of_a_partition_of_the_trees_add_up_to_the_models() -> None:
    x, y = mixed_rows(6)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_leaves": 15},
        lgb.Dataset(x, y, categorical_feature=[2]),
        num_boost_round=40,
    )
    reads_category = [reads_feature(tree, 2) for tree in booster.dump_model()["tree_info"]]
    assert 0 < sum(reads_category) < len(reads_category)  # both parts hold trees
    with_it = FastTreeShap(booster, keep=lambda tree: reads_feature(tree, 2))
    without = FastTreeShap(booster, keep=lambda tree: not reads_feature(tree, 2))
    assert with_it.n_trees + without.n_trees == booster.num_trees()
    test, _ = mixed_rows(7, rows=300)
    assert np.all(without.contributions(test)[:, 2] == 0)  # the category is never read
    none = FastTreeShap(booster, keep=lambda tree: False)
    assert none.n_trees == 0 and not none.contributions(test).any() and not none.margin(test).any()
    np.testing.assert_allclose(
        with_it.contributions(test) + without.contributions(test),
        booster.predict(test, pred_contrib=True),
        atol=1e-9,
    )
    np.testing.assert_allclose(
        with_it.margin(test) + without.margin(test),
        booster.predict(test, raw_score=True),
        atol=1e-9,
    )
