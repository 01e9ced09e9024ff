"""Calibration of raw margins on the validation set, and the score scale and grade bands."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from leadscore.models.calibrator import PROBABILITY_FLOOR, Calibrator, clipped_log_loss
from leadscore.models.grades import GradeBands, ScoreScale, score_cuts

# Isotonic steps are shrunk towards the base rate by this many leads' worth: a rate seen
# on few leads is pulled most (see shrunk_isotonic)
PRIOR_LEADS = 10.0


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
        candidates["isotonic"] = shrunk_isotonic(margin, label)
    losses = {name: clipped_log_loss(label, c(margin)) for name, c in candidates.items()}
    if kind != "auto":
        return candidates[kind], losses
    # isotonic fits its own data more closely than it will new data: require a clear win
    chosen = "isotonic" if losses["isotonic"] < losses["platt"] * 0.995 else "platt"
    return candidates[chosen], losses


def shrunk_isotonic(
    margin: np.ndarray, label: np.ndarray, *, prior_leads: float = PRIOR_LEADS
) -> Calibrator:
    """Isotonic steps whose probabilities the data supports: each step's conversion rate
    is shrunk towards the base rate by ``prior_leads`` leads' worth, (conversions +
    prior_leads x base rate) / (leads + prior_leads), and the steps made monotone again
    (weighted by their leads). A step of 200 leads without a conversion then reads about
    0.2 % at a 5 % base rate, not 0; a step of 5 leads that all converted about 37 %, not
    100 %. Steps of thousands of leads keep their rate."""
    margin = np.asarray(margin, dtype=float)
    label = np.asarray(label, dtype=float)
    iso = IsotonicRegression(out_of_bounds="clip").fit(margin, label)
    order = np.argsort(margin, kind="stable")
    sorted_margin = margin[order]
    fitted = iso.predict(sorted_margin)
    block = np.cumsum(np.r_[True, fitted[1:] != fitted[:-1]]) - 1
    leads = np.bincount(block).astype(float)
    conversions = np.bincount(block, weights=label[order])
    base = float(label.mean())
    shrunk = (conversions + prior_leads * base) / (leads + prior_leads)
    steps = np.arange(len(leads), dtype=float)
    levels = IsotonicRegression().fit(steps, shrunk, sample_weight=leads + prior_leads)
    level = levels.predict(steps)
    x = np.asarray(iso.X_thresholds_, dtype=float)
    y = level[block[np.searchsorted(sorted_margin, x, side="left")]]
    y = np.clip(y, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return Calibrator("isotonic", x=tuple(map(float, x)), y=tuple(map(float, y)))


def percentile_bands(reference_margin: np.ndarray, shares: dict[str, float]) -> GradeBands:
    """Scores as percentiles among the reference rows' margins (the test rows, which
    the model never learnt from and which stand for the leads it will score), and grades
    as bands of that score holding the configured shares, top first."""
    return GradeBands(score_cuts(shares), None, ScoreScale.of(reference_margin))
