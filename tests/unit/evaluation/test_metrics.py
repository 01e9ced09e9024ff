"""Metrics: calibration error, lift and ranking metrics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

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
