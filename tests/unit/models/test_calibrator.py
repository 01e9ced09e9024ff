"""The calibration of a raw margin, and the log loss models are compared by."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leadscore.models.calibrator import PROBABILITY_FLOOR, Calibrator, clipped_log_loss


def test_isotonic_steps_interpolate_between_their_knots_and_hold_beyond_them() -> None:
    steps = Calibrator("isotonic", x=(-1.0, 0.0, 2.0), y=(0.1, 0.3, 0.7))
    got = steps(np.array([-5.0, -1.0, -0.5, 1.0, 2.0, 9.0]))
    np.testing.assert_allclose(got, [0.1, 0.1, 0.2, 0.5, 0.7, 0.7])


def test_a_platt_sigmoid_maps_the_margin_through_its_slope_and_intercept() -> None:
    platt = Calibrator("platt", slope=2.0, intercept=-1.0)
    margin = np.array([0.5, 0.0, 1.5])
    got = platt(margin)
    np.testing.assert_allclose(got, [0.5, 1 / (1 + math.e), 1 / (1 + math.exp(-2.0))])


def test_a_calibrator_comes_back_the_same_from_its_json() -> None:
    for calibrator in (
        Calibrator("isotonic", x=(-1.0, 3.0), y=(0.2, 0.9)),
        Calibrator("platt", slope=0.7, intercept=0.25),
    ):
        raw = json.loads(json.dumps(calibrator.to_json()))
        back = Calibrator.from_json(raw)
        assert back == calibrator
        margin = np.array([-2.0, 0.0, 1.0, 4.0])
        np.testing.assert_array_equal(back(margin), calibrator(margin))


def test_a_confident_miss_costs_a_finite_loss_set_by_the_floor() -> None:
    loss = clipped_log_loss(np.array([1, 0]), np.array([0.0, 1.0]))
    assert math.isfinite(loss)
    assert loss == pytest.approx(-math.log(PROBABILITY_FLOOR), rel=1e-6)


def test_the_loss_of_probabilities_off_the_edges_is_the_plain_log_loss() -> None:
    label = np.array([True, False, True, False])
    probability = np.array([0.8, 0.3, 0.6, 0.1])
    want = -np.mean(np.log([0.8, 0.7, 0.6, 0.9]))
    assert clipped_log_loss(label, probability) == pytest.approx(want)


def test_labels_of_one_class_alone_still_have_a_loss() -> None:
    loss = clipped_log_loss(np.array([0, 0, 0]), np.array([0.5, 0.5, 0.5]))
    assert loss == pytest.approx(math.log(2))
