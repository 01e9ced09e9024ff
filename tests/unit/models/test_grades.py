"""Scores from probabilities, and grades from the bands a model fixed."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.models.grades import GradeBands, ScoreScale, grade, score, score_cuts


def test_a_score_is_the_probability_in_percent_rounded_to_the_nearest_whole() -> None:
    scores = score(np.array([0.0, 0.004, 0.006, 0.424, 0.426, 1.0]))
    assert scores.tolist() == [0, 0, 1, 42, 43, 100]
    assert scores.dtype.kind == "i"


def test_a_value_at_a_grades_threshold_takes_that_grade_and_below_it_the_next() -> None:
    thresholds = {"A": 80, "B": 50, "C": 20}
    values = np.array([100, 80, 79, 50, 49, 20, 19, 0])
    assert grade(values, thresholds).tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]


def test_grades_by_margin_follow_the_margin_not_the_probability() -> None:
    bands = GradeBands(scores={"A": 90, "B": 60, "C": 30}, margins={"A": 1.0, "B": 0.0, "C": -1.0})
    margin = np.array([2.0, 0.5, -0.5, -2.0])
    probability = np.array([0.01, 0.99, 0.99, 0.99])  # would grade otherwise by score
    assert bands.grades(margin, probability).tolist() == ["A", "B", "C", "D"]


def test_bands_without_margins_grade_by_the_score_of_the_probability() -> None:
    bands = GradeBands(scores={"A": 90, "B": 60, "C": 30})
    margin = np.array([9.0, 9.0, 9.0, 9.0])  # ignored
    probability = np.array([0.95, 0.6, 0.295, 0.1])
    assert bands.grades(margin, probability).tolist() == ["A", "B", "C", "D"]


def test_bands_come_back_from_the_metadata_they_write() -> None:
    bands = GradeBands(scores={"A": 70, "B": 40, "C": 10}, margins={"A": 0.5, "B": -0.2, "C": -1})
    metadata = bands.as_metadata()
    assert metadata == {"grades": bands.scores, "grade_margins": bands.margins, "score_scale": None}
    assert GradeBands.from_metadata(metadata) == bands


def test_metadata_of_a_model_from_before_margin_bands_gives_bands_that_grade_by_score() -> None:
    bands = GradeBands.from_metadata({"grades": {"A": 70, "B": 40, "C": 10}})
    assert bands.margins is None
    assert bands.grades(np.array([5.0]), np.array([0.5])).tolist() == ["B"]


def test_a_scale_places_a_margin_among_the_reference_ties_counted_half() -> None:
    scale = ScoreScale.of(np.r_[np.arange(50.0), np.full(50, 100.0)])  # half tied at the top
    scores = scale.scores(np.array([-1.0, 0.0, 24.5, 100.0, 200.0]))
    assert scores[0] == 0 and scores[-1] == 100
    assert 24 <= scores[2] <= 26  # a quarter of the reference below it
    assert 73 <= scores[3] <= 77  # in the middle of the tied half, not at its top


def test_a_scale_needs_finite_margins() -> None:
    with pytest.raises(ValueError, match="finite"):
        ScoreScale.of(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="at least one"):
        ScoreScale.of(np.array([]))


def test_score_cuts_give_each_grade_its_share_from_the_top() -> None:
    assert score_cuts({"A": 0.1, "B": 0.2, "C": 0.3}) == {"A": 90, "B": 70, "C": 40, "D": 0}
    assert score_cuts({"A": 0.05, "B": 0.15, "C": 0.3}) == {"A": 95, "B": 80, "C": 50, "D": 0}


def test_bands_with_a_scale_score_the_percentile_and_grade_by_it() -> None:
    bands = GradeBands({"A": 90, "B": 70, "C": 40, "D": 0}, None, ScoreScale.of(np.arange(1000.0)))
    margin = np.array([999.0, 800.0, 500.0, 10.0])
    probability = np.array([0.01, 0.01, 0.01, 0.9])  # the score ignores it
    assert bands.score(margin, probability).tolist() == [100, 80, 50, 1]
    assert bands.grades(margin, probability).tolist() == ["A", "B", "C", "D"]
    assert GradeBands.from_metadata(bands.as_metadata()) == bands
