"""The baselines: the points score and the logistic regression leadscore can register."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from leadscore.models.linear import CategoryTerm, NumberTerm
from leadscore.training.baselines import fit_logistic, points_score


def _data(rows: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """visits raise conversion; a missing budget means a bad lead; region 2 converts most;
    region 5 is too rare to learn on its own."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, rows).astype(float)
    budget = rng.lognormal(8, 1, rows)
    budget_missing = rng.random(rows) < 0.3
    budget[budget_missing] = np.nan
    region = rng.choice([0, 1, 2, 5], rows, p=[0.4, 0.3, 0.297, 0.003]).astype(float)
    region[rng.random(rows) < 0.05] = np.nan
    logit = -2 + 0.5 * visits - 1.5 * budget_missing + 1.2 * (region == 2)
    label = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return np.column_stack([visits, budget, region]), label


def test_logistic_learns_the_signs_and_separates() -> None:
    matrix, label = _data()
    model = fit_logistic(matrix, label, [2])
    visits, budget, region = model.terms
    assert isinstance(visits, NumberTerm) and isinstance(region, CategoryTerm)
    assert visits.weight > 0
    assert budget.missing_weight < -1  # being missing is learnt as its own signal
    assert region.weights[2] > region.weights[0]
    test_matrix, test_label = _data(seed=1)
    assert roc_auc_score(test_label, model.probability(test_matrix)) > 0.75


def test_rare_levels_share_one_weight_and_unseen_levels_weigh_nothing() -> None:
    matrix, label = _data()
    region = fit_logistic(matrix, label, [2]).terms[2]
    assert isinstance(region, CategoryTerm)
    weights = region.weights  # codes 0..5, then missing
    assert len(weights) == 7
    assert weights[3] == weights[4] == 0.0  # codes 3 and 4 never occur
    assert weights[5] != 0.0  # 0.3 % of rows: grouped as rare, still weighed
    assert weights[6] != 0.0  # missing: its own level


def test_contributions_of_a_fitted_model_average_to_zero_on_its_rows() -> None:
    matrix, label = _data()
    model = fit_logistic(matrix, label, [2])
    contributions = model.contributions(matrix)
    np.testing.assert_allclose(contributions[:, :-1].mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(contributions.sum(axis=1), model.margin(matrix), atol=1e-9)


def test_a_column_with_one_value_or_all_missing_does_not_break_the_fit() -> None:
    matrix, label = _data(500)
    flat = np.column_stack([matrix, np.full(500, 4.0), np.full(500, np.nan)])
    model = fit_logistic(flat, label, [2])
    assert np.isfinite(model.margin(flat)).all()
    assert model.terms[3].weight == 0.0 and model.terms[4].weight == 0.0


def test_points_score_caps_each_rule_and_skips_absent_features() -> None:
    frame = pd.DataFrame({"visits": [1, 10, None], "calls": [0, 1, 2]})
    points = points_score(frame, {"visits": 5, "calls": 20, "absent": 3}, cap=30)
    np.testing.assert_allclose(points, [5, 50, 30])
