"""Calibration of raw margins on the validation set, and the grade bands fixed on it."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from leadscore.models.calibrator import PROBABILITY_FLOOR, Calibrator, clipped_log_loss
from leadscore.models.grades import GRADES, GradeBands, score

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


def grade_bands(
    margin: np.ndarray, probability: np.ndarray, shares: dict[str, float]
) -> GradeBands:
    """Bands on the validation rows' margins so that A, B and C hold the given shares of
    leads, top first, and D the rest. Cutting the margin, not the score, keeps the shares
    where calibration gives many leads the same score (isotonic steps). Leads with the
    very same margin (the same features, in effect) stay together, on whichever side of
    the cut brings the share closer to its target; the cut lies halfway between the
    margins on either side."""
    order = np.sort(np.asarray(margin, dtype=float))[::-1]
    n = len(order)
    margins, scores, taken = {}, {}, 0.0
    for g in GRADES[:-1]:
        taken += shares[g]
        margins[g] = _cut(order, n * taken)
    for upper, lower in pairwise(GRADES[:-1]):  # distinct bands, even on tiny data
        margins[lower] = float(min(margins[lower], np.nextafter(margins[upper], -np.inf)))
    in_grade = GradeBands({g: 0 for g in GRADES}, margins).grades(margin, probability)
    scored = score(probability)
    for g in GRADES:
        chosen = scored[in_grade == g]
        scores[g] = int(chosen.min()) if len(chosen) else 0
    scores["D"] = 0
    return GradeBands(scores, margins)


def _cut(descending: np.ndarray, wanted: float) -> float:
    """The margin above which about ``wanted`` of these rows lie: a tie at the cut goes
    wholly to the side that leaves the count nearer to ``wanted``."""
    n = len(descending)
    inside = min(max(round(wanted), 1), n)
    tied = descending[inside - 1]
    first = int(np.searchsorted(-descending, -tied, side="left"))  # rows above the tie
    after = int(np.searchsorted(-descending, -tied, side="right"))  # ... and with it
    count = first if first > 0 and abs(first - wanted) < abs(after - wanted) else after
    above = descending[count - 1]
    below = descending[count] if count < n else above - 1.0
    return float((above + below) / 2)
