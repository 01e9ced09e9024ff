"""Calibration fixes a distorted margin; scores are percentiles of the reference leads and
grades are bands of the score holding their shares."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.evaluation.metrics import expected_calibration_error
from leadscore.models.grades import GradeBands
from leadscore.training.calibration import fit_calibrator, percentile_bands, shrunk_isotonic


def test_calibrator_fixes_a_distorted_margin() -> None:
    rng = np.random.default_rng(1)
    true_logit = rng.normal(-3, 1, 50_000)
    y = rng.random(len(true_logit)) < 1 / (1 + np.exp(-true_logit))
    margin = 2.5 * true_logit + 4  # over-confident, shifted
    calibrator, losses = fit_calibrator(margin, y, "auto")
    assert set(losses) == {"platt", "isotonic"}
    assert expected_calibration_error(y, calibrator(margin)) < 0.01


def test_scores_are_percentiles_of_the_reference_and_grades_hold_the_shares() -> None:
    rng = np.random.default_rng(2)
    reference = rng.normal(-3, 1, 20_000)
    bands = percentile_bands(reference, {"A": 0.1, "B": 0.2, "C": 0.3})
    assert bands.scores == {"A": 90, "B": 70, "C": 40, "D": 0}
    leads = rng.normal(-3, 1, 20_000)  # new leads like the reference ones
    p = 1 / (1 + np.exp(-leads))
    scores = bands.score(leads, p)
    assert abs(np.median(scores) - 50) <= 1
    assert scores.min() == 0 and scores.max() == 100
    grades = bands.grades(leads, p)
    shares = [float((grades == g).mean()) for g in "ABCD"]
    assert np.allclose(shares, [0.1, 0.2, 0.3, 0.4], atol=0.02), shares


def test_a_grade_follows_from_the_score_alone() -> None:
    """Grades are score bands: every score has one grade, whichever margin gave it."""
    rng = np.random.default_rng(3)
    margin = np.r_[rng.normal(0, 1, 5_000), np.full(2_000, -1.5)]  # a plateau of ties
    bands = percentile_bands(margin, {"A": 0.1, "B": 0.2, "C": 0.3})
    leads = rng.normal(0, 1.5, 10_000)
    scores, grades = bands.score(leads, np.zeros(len(leads))), bands.grades(leads, leads)
    for value in np.unique(scores):
        assert len(set(grades[scores == value])) == 1, value
    by_score = {int(v): g for v, g in zip(scores, grades, strict=True)}
    assert [by_score.get(v) for v in (95, 75, 45, 5)] == ["A", "B", "C", "D"]


def test_models_with_score_bands_grade_as_before() -> None:
    old = GradeBands.from_metadata({"grades": {"A": 30, "B": 20, "C": 10, "D": 0}})
    assert old.margins is None and old.scale is None
    p = np.array([0.35, 0.25, 0.15, 0.05])
    assert list(old.grades(np.zeros(4), p)) == ["A", "B", "C", "D"]
    assert list(old.score(np.zeros(4), p)) == [35, 25, 15, 5]
    new = percentile_bands(np.arange(100.0), {"A": 0.1, "B": 0.2, "C": 0.3})
    assert GradeBands.from_metadata(new.as_metadata()) == new


def test_isotonic_steps_are_shrunk_to_what_their_leads_support() -> None:
    """A bottom step of 400 leads without a conversion and a top step of 6 leads that all
    converted: plain isotonic says 0 and 1; the shrunk steps say what 400 and 6 leads
    support, monotone still."""
    margin = np.r_[np.linspace(-5, -4, 400), np.linspace(-1, 1, 4_000), np.linspace(4, 5, 6)]
    rng = np.random.default_rng(4)
    label = np.r_[np.zeros(400), rng.random(4_000) < 0.1, np.ones(6)].astype(bool)
    calibrator = shrunk_isotonic(margin, label, prior_leads=10)
    low, high = calibrator(np.array([-4.5, 4.5]))
    base = label.mean()
    assert low == pytest.approx(10 * base / 410, rel=0.05)  # not 0
    assert 0.3 < high < 0.75  # 6 of 6: not 100 %
    values = calibrator(np.sort(margin))
    assert np.all(np.diff(values) >= 0)
