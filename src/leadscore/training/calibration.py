"""Calibration of raw margins on the validation set, and the grade bands fixed on it."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from leadscore.models.calibrator import PROBABILITY_FLOOR, Calibrator, clipped_log_loss
from leadscore.models.grades import GRADES, score


def fit_calibrator(
    margin: np.ndarray, label: np.ndarray, kind: str = "auto"
) -> tuple[Calibrator, dict]:
    """Isotonic or Platt on validation margins; 'auto' keeps the lower validation log loss.

    The choice is made on the validation set itself (both are fitted there): isotonic
    scores its own fit optimistically, so it must win by a margin to be chosen.
    """
    candidates = {}
    if kind in ("auto", "platt"):
        platt = LogisticRegression(C=1e6).fit(margin.reshape(-1, 1), label)
        candidates["platt"] = Calibrator(
            "platt", slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
        )
    if kind in ("auto", "isotonic"):
        iso = IsotonicRegression(
            out_of_bounds="clip", y_min=PROBABILITY_FLOOR, y_max=1 - PROBABILITY_FLOOR
        ).fit(margin, label)
        candidates["isotonic"] = Calibrator(
            "isotonic",
            x=tuple(map(float, iso.X_thresholds_)),
            y=tuple(map(float, iso.y_thresholds_)),
        )
    losses = {name: clipped_log_loss(label, c(margin)) for name, c in candidates.items()}
    if kind != "auto":
        return candidates[kind], losses
    # isotonic fits its own data more closely than it will new data: require a clear win
    chosen = "isotonic" if losses["isotonic"] < losses["platt"] * 0.995 else "platt"
    return candidates[chosen], losses


def grade_thresholds(probability: np.ndarray, shares: dict[str, float]) -> dict[str, int]:
    """Minimum score per grade so that A, B and C hold about the given shares of leads
    (top first; ties at a score stay in the higher grade). D is everything else."""
    scores = np.sort(score(probability))[::-1]
    thresholds, taken = {}, 0.0
    for g in GRADES[:-1]:
        taken += shares[g]
        last_inside = min(max(int(len(scores) * taken) - 1, 0), len(scores) - 1)
        thresholds[g] = int(scores[last_inside])
    # grades must be distinct bands: each lower grade starts at least one point lower
    for upper, lower in pairwise(GRADES[:-1]):
        thresholds[lower] = max(min(thresholds[lower], thresholds[upper] - 1), 1)
    thresholds["A"] = max(thresholds["A"], thresholds["B"] + 1)
    thresholds["D"] = 0
    return thresholds
