"""Calibration fixes a distorted margin; grade bands are ordered and hold their shares."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.evaluation.metrics import expected_calibration_error
from leadscore.models.grades import GradeBands, score
from leadscore.training.calibration import fit_calibrator, grade_bands, shrunk_isotonic


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
    margin = rng.normal(-3, 1, 20_000)
    p = 1 / (1 + np.exp(-margin))
    bands = grade_bands(margin, p, {"A": 0.1, "B": 0.2, "C": 0.3})
    assert bands.margins["A"] > bands.margins["B"] > bands.margins["C"]
    assert bands.scores["A"] >= bands.scores["B"] >= bands.scores["C"] >= bands.scores["D"] == 0
    grades = bands.grades(margin, p)
    shares = [float((grades == g).mean()) for g in "ABCD"]
    assert np.allclose(shares, [0.1, 0.2, 0.3, 0.4], atol=0.001)


def test_bands_hold_their_shares_where_calibration_ties_the_scores() -> None:
    """Isotonic steps give a few hundred distinct probabilities: a fifth of the leads
    share one score here. Bands on the margin hold every share within a point, splitting
    the leads of one score where a band begins."""
    rng = np.random.default_rng(3)
    margin = rng.normal(0, 1, 20_000)
    steps = np.quantile(margin, [0.2, 0.4, 0.6, 0.8])
    p = np.array([0.02, 0.05, 0.08, 0.11, 0.30])[np.searchsorted(steps, margin)]
    shares = {"A": 0.1, "B": 0.2, "C": 0.3}
    bands = grade_bands(margin, p, shares)
    grades = bands.grades(margin, p)
    held = [float((grades == g).mean()) for g in "ABCD"]
    assert np.allclose(held, [0.1, 0.2, 0.3, 0.4], atol=0.01), held
    assert set(grades[score(p) == 30]) == {"A", "B"}  # the top fifth: one score, two grades


def test_models_with_score_bands_grade_as_before() -> None:
    old = GradeBands.from_metadata({"grades": {"A": 30, "B": 20, "C": 10, "D": 0}})
    assert old.margins is None
    p = np.array([0.35, 0.25, 0.15, 0.05])
    assert list(old.grades(np.zeros(4), p)) == ["A", "B", "C", "D"]
    new = grade_bands(np.arange(100.0), np.linspace(0, 1, 100), {"A": 0.1, "B": 0.2, "C": 0.3})
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


def test_a_tie_at_a_cut_goes_to_the_side_nearer_the_share() -> None:
    """A fifth of the leads share one margin, straddling the cut of A's 10 %: keeping
    them in A would make it 25 %; they go to B, and A holds the 5 % above them."""
    margin = np.r_[np.linspace(5, 6, 500), np.full(2_000, 3.0), np.linspace(-3, 2, 7_500)]
    p = 1 / (1 + np.exp(-margin))
    grades = grade_bands(margin, p, {"A": 0.1, "B": 0.2, "C": 0.3}).grades(margin, p)
    assert (grades == "A").mean() == 0.05 and set(grades[margin == 3.0]) == {"B"}
