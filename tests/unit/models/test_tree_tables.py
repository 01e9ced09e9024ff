"""The pattern tables of a leaf: G(P) for every pattern of path features it satisfies."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.models.tree_tables import pattern_table


def test_pattern_table_by_hand_for_two_features() -> None:
    # d = 2: weights 1/2 for |T| = 0 and |T| = 1
    z = np.array([0.25, 0.5])
    table = pattern_table(z)
    assert table[0b00] == pytest.approx(0.5 * 0.25 * 0.5)  # T = {}
    assert table[0b01] == pytest.approx(0.5 * 0.25 * 0.5 + 0.5 * 0.5)  # T = {}, {0}
    assert table[0b10] == pytest.approx(0.5 * 0.25 * 0.5 + 0.5 * 0.25)  # T = {}, {1}
