"""Scores (0-100) from probabilities, and grades from scores by a model's bands."""

from __future__ import annotations

import numpy as np

GRADES = ("A", "B", "C", "D")


def score(probability: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(probability) * 100).astype(int)


def grade(scores: np.ndarray, thresholds: dict[str, int]) -> np.ndarray:
    out = np.full(len(scores), "D", dtype=object)
    for g in reversed(GRADES[:-1]):
        out[np.asarray(scores) >= thresholds[g]] = g
    return out
