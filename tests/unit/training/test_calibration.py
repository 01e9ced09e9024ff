"""Calibration fixes a distorted margin; grade bands are ordered and hold their shares."""

from __future__ import annotations

import numpy as np

from leadscore.evaluation.metrics import expected_calibration_error
from leadscore.models.grades import grade, score
from leadscore.training.calibration import fit_calibrator, grade_thresholds


def test_calibrator_fixes_a_distorted_margin() -> None:
    rng = np.random.default_rng(1)
    true_logit = rng.normal(-3, 1, 50_000)
    y = rng.random(len(true_logit)) < 1 / (1 + np.exp(-true_logit))
    margin = 2.5 * true_logit + 4  # over-confident, shifted
    calibrator, losses = fit_calibrator(margin, y, "auto")
    assert set(losses) == {"platt", "isotonic"}
    assert expected_calibration_error(y, calibrator(margin)) < 0.01


def test_grades_are_ordered_bands_holding_the_shares() -> None:
    rng = np.random.default_rng(2)
    p = rng.beta(1, 15, 20_000)
    bands = grade_thresholds(p, {"A": 0.1, "B": 0.2, "C": 0.3})
    assert bands["A"] > bands["B"] > bands["C"] > bands["D"] == 0
    grades = grade(score(p), bands)
    share_a = (grades == "A").mean()
    assert 0.08 <= share_a <= 0.14
    assert set(grades) == {"A", "B", "C", "D"}
