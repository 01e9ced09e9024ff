from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from leadscore.evaluation.estimated import expected_auc, expected_per_grade


def _brute_force(p: np.ndarray, s: np.ndarray) -> float:
    right = pairs = 0.0
    for i in range(len(p)):
        for j in range(len(p)):
            if i != j:
                weight = p[i] * (1 - p[j])
                pairs += weight
                right += weight * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    return right / pairs


def test_the_expectation_is_exact_on_small_sets_with_ties() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.9, size=40)
    score = np.round(p * 5)  # ties
    assert expected_auc(p, score) == pytest.approx(_brute_force(p, score), rel=1e-12)
    assert expected_auc(p) == pytest.approx(_brute_force(p, p), rel=1e-12)


def test_calibrated_probabilities_estimate_the_auc_realised_later() -> None:
    rng = np.random.default_rng(1)
    p = rng.beta(0.6, 6.0, size=200_000)
    realised = [roc_auc_score(rng.random(len(p)) < p, p) for _ in range(3)]
    assert expected_auc(p) == pytest.approx(np.mean(realised), abs=0.005)
    # a score that knows nothing ranks at chance, whatever the probabilities say
    assert expected_auc(p, rng.random(len(p))) == pytest.approx(0.5, abs=0.01)


def test_too_few_leads_say_nothing_and_grades_keep_their_promise() -> None:
    assert np.isnan(expected_auc(np.array([0.3])))
    table = expected_per_grade(pd.Series(["A", "A", "D"]), pd.Series([0.5, 0.3, 0.1]))
    assert table.set_index("grade")["expected"].to_dict() == pytest.approx({"A": 0.4, "D": 0.1})
    assert table["share"].sum() == pytest.approx(1.0)
