"""Rows for boosters to explain: numbers, counts, categorical codes and missing values."""

from __future__ import annotations

import numpy as np


def mixed_rows(seed: int, rows: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.normal(size=rows),
            rng.poisson(2.0, rows).astype(float),
            rng.integers(0, 6, rows).astype(float),  # categorical codes
            rng.normal(size=rows),
        ]
    )
    x[rng.random(rows) < 0.15, 0] = np.nan
    x[rng.random(rows) < 0.1, 2] = np.nan
    x[rng.random(rows) < 0.2, 3] = 0.0
    logit = x[:, 1] - 2 + np.nan_to_num(x[:, 0]) + (x[:, 2] == 3) - 0.5 * (x[:, 3] > 0.5)
    return x, rng.random(rows) < 1 / (1 + np.exp(-logit))
