"""Scores from probabilities, and grades from the bands a model fixed."""

from __future__ import annotations

import numpy as np

from leadscore.models.grades import GradeBands, grade, score


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
    assert metadata == {"grades": bands.scores, "grade_margins": bands.margins}
    assert GradeBands.from_metadata(metadata) == bands


def test_metadata_of_a_model_from_before_margin_bands_gives_bands_that_grade_by_score() -> None:
    bands = GradeBands.from_metadata({"grades": {"A": 70, "B": 40, "C": 10}})
    assert bands.margins is None
    assert bands.grades(np.array([5.0]), np.array([0.5])).tolist() == ["B"]
