"""Model cards read as text: counts as whole numbers, tables instead of Python values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.evaluation.cards import markdown_table


def test_counts_held_as_floats_are_written_whole_and_rates_keep_decimals() -> None:
    frame = pd.DataFrame(
        {"offer": ["a", "b"], "rows": [1500.0, 20.0], "log_loss": [0.1234, 1.0], "x": [np.nan, 2.0]}
    )
    text = markdown_table(frame)
    assert "| a | 1,500 | 0.1234 | - |" in text
    assert "1500.0" not in text and "| b | 20 | 1.0 | 2 |" in text
