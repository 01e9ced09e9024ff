"""Metrics: calibration error, lift and ranking metrics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.evaluation.conversion import baseline_wins
from leadscore.evaluation.metrics import expected_calibration_error, lift_at, ranking_metrics


def test_ece_is_zero_for_calibrated_and_large_for_overconfident() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 200_000)
    y = rng.random(len(p)) < p
    assert expected_calibration_error(y, p) < 0.005
    assert expected_calibration_error(y, np.minimum(p * 2, 1)) > 0.05


def test_lift_at_ten_percent() -> None:
    label = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 10, dtype=bool)
    score_ = np.where(label, 1.0, 0.0)
    assert lift_at(label, score_) == pytest.approx(5.0)  # top 10% all positive, base 20%


def test_ranking_metrics_by_hand() -> None:
    metrics = ranking_metrics([{"b"}, {"a", "c"}, set()], [["a", "b", "c"], ["a", "b", "c"], ["a"]])
    assert metrics["rows"] == 2
    assert metrics["hit_rate_at_1"] == pytest.approx(0.5)
    assert metrics["hit_rate_at_3"] == pytest.approx(1.0)
    # AP: row 1 = (1/2)/1; row 2 = (1/1 + 2/3)/2
    assert metrics["map_at_3"] == pytest.approx((0.5 + (1 + 2 / 3) / 2) / 2)


def test_a_baseline_that_wins_on_auc_or_log_loss_is_named_with_its_figures() -> None:
    model = {"roc_auc": 0.70, "pr_auc": 0.20, "log_loss": 0.30, "brier": 0.08, "ece": 0.01}
    baselines = {
        "logistic_regression": {"roc_auc": 0.71, "pr_auc": 0.19, "log_loss": 0.29, "brier": 0.09},
        "rules_points": {"roc_auc": 0.60, "pr_auc": 0.25},  # wins on PR AUC alone: no alarm
    }
    (line,) = baseline_wins(model, baselines)
    assert line.startswith("logistic_regression beats LightGBM on the test rows")
    assert "roc_auc 0.7100 vs 0.7000" in line and "log_loss 0.2900 vs 0.3000" in line
    assert "pr_auc" not in line and "brier" not in line
    assert baseline_wins(model, {"rules_points": {"roc_auc": 0.6}}) == []
