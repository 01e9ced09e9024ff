"""Calibration of raw margins on the validation set, and grades from scores."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from leadscore.modeling.propensity import Calibrator

GRADES = ("A", "B", "C", "D")


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
        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1 - 1e-6).fit(
            margin, label
        )
        candidates["isotonic"] = Calibrator(
            "isotonic",
            x=tuple(map(float, iso.X_thresholds_)),
            y=tuple(map(float, iso.y_thresholds_)),
        )
    losses = {
        name: float(log_loss(label, np.clip(c(margin), 1e-6, 1 - 1e-6), labels=[0, 1]))
        for name, c in candidates.items()
    }
    if kind != "auto":
        return candidates[kind], losses
    # isotonic fits its own data more closely than it will new data: require a clear win
    chosen = "isotonic" if losses["isotonic"] < losses["platt"] * 0.995 else "platt"
    return candidates[chosen], losses


def score(probability: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(probability) * 100).astype(int)


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


def grade(scores: np.ndarray, thresholds: dict[str, int]) -> np.ndarray:
    out = np.full(len(scores), "D", dtype=object)
    for g in reversed(GRADES[:-1]):
        out[np.asarray(scores) >= thresholds[g]] = g
    return out
