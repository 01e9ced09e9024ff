"""The learners' calibration: a sigmoid over the margin, its rows weighted like the fit."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.training.response_learners import weighted_platt


def test_the_weighted_sigmoid_finds_the_slope_and_intercept_behind_the_labels() -> None:
    rng = np.random.default_rng(7)
    margin = rng.normal(size=200_000)
    label = rng.random(len(margin)) < 1 / (1 + np.exp(-(2.0 * margin - 1.0)))
    calibrator = weighted_platt(margin, label, None)
    assert calibrator.slope == pytest.approx(2.0, abs=0.05)
    assert calibrator.intercept == pytest.approx(-1.0, abs=0.05)
    # rows of weight 2 count as two rows each: the fit is the same as with them doubled
    twice = np.concatenate([margin[:1000], margin[:1000]])
    doubled = weighted_platt(twice, np.concatenate([label[:1000], label[:1000]]), None)
    weighted = weighted_platt(margin[:1000], label[:1000], np.full(1000, 2.0))
    assert weighted.slope == pytest.approx(doubled.slope, rel=1e-4)
    assert weighted.intercept == pytest.approx(doubled.intercept, rel=1e-4, abs=1e-6)
