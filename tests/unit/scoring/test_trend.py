"""A score's trend: its direction, and items that add up to the change of the margin."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.scoring.trend import STEADY_POINTS, direction, model_item, other_item


def test_a_move_of_fewer_points_than_steady_is_steady() -> None:
    assert direction(STEADY_POINTS) == "improving"
    assert direction(STEADY_POINTS - 1) == "steady"
    assert direction(-(STEADY_POINTS - 1)) == "steady"
    assert direction(-STEADY_POINTS) == "declining"


def test_the_changes_not_shown_add_up_in_one_item() -> None:
    deltas = np.array([0.5, -0.2, 0.0, 0.1])
    names = ["a", "b", "c", "d"]
    shown = [{"feature": "a", "impact": 0.5}]
    rest = other_item(deltas, names, shown, "de")
    assert rest is not None and rest["impact"] == pytest.approx(-0.1)
    assert rest["text"] == "Weitere Änderungen (2 Merkmale)" and rest["direction"] == "down"
    assert other_item(np.array([0.5, 0.0]), ["a", "b"], shown, "en") is None
    said = model_item(0.25, "1", "2", "en")
    assert said["text"] == "Model updated (version 1 to 2)" and said["direction"] == "up"
