"""What the scoring pieces hand each other: feature values as the log keeps them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.scoring.encoded import feature_rows

T0 = pd.Timestamp("2026-06-20 09:00", tz="UTC")


def test_feature_rows_are_plain_values_in_the_order_of_the_names() -> None:
    frame = pd.DataFrame(
        {
            "visits": np.array([3.0, np.nan]),
            "count": np.array([1, 2], dtype=np.int64),
            "industry": pd.Categorical(["IT", None]),
            "partner": pd.array([True, None], dtype="boolean"),
        }
    )
    rows = feature_rows(frame, ["industry", "visits", "count", "partner"])
    assert rows[0] == ("IT", 3.0, 1, True)
    assert rows[1] == (None, None, 2, None)
    assert all(type(v) in (str, float, int, bool) for v in rows[0])
    assert feature_rows(frame, []) == [(), ()]
