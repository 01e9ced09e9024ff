"""Scores (0-100) and grades: a lead's percentile among the model's reference leads, and
grades as bands of that score.

A calibrated probability of a few per cent tells a rep little and fits no CRM field: the
demo's 500 leads had median 1 and p90 6 as probabilities in per cent, and grades cut on
the margin overlapped on that scale (A 8-36, B 4-8). So the score is the lead's place
among the leads the model was tested on (the share of them with a lower margin, ties
counted half, in per cent): 50 is the middle lead, 90 is better than nine in ten. Grades
are bands of that score, fixed from the configured shares (A the top 10 % by default:
a score of 90 or more), so the grade follows from the score alone. The probability stays
beside the score in every result, named as what it is.

Models trained before this scale have no reference margins; they score the probability in
per cent and grade by their margin bands, as they did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRADES = ("A", "B", "C", "D")
# reference margins kept as this many quantiles: 0.1 score points apart, and a few
# kilobytes in the model's metadata whatever the size of the test set
SCALE_POINTS = 1001


def score(probability: np.ndarray) -> np.ndarray:
    """The probability in per cent, rounded (the score of models without a scale)."""
    return np.rint(np.asarray(probability) * 100).astype(int)


def grade(values: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """Grades by the minimum value each begins at: scores or margins."""
    out = np.full(len(values), "D", dtype=object)
    for g in reversed(GRADES[:-1]):
        out[np.asarray(values) >= thresholds[g]] = g
    return out


@dataclass(frozen=True)
class ScoreScale:
    """The reference leads' margins, as quantiles, that a margin is placed among."""

    margins: tuple[float, ...]

    @classmethod
    def of(cls, margins: np.ndarray, points: int = SCALE_POINTS) -> ScoreScale:
        values = np.asarray(margins, dtype=float)
        if not len(values) or not np.isfinite(values).all():
            raise ValueError("a score scale needs finite reference margins, at least one")
        return cls(tuple(float(m) for m in np.quantile(values, np.linspace(0, 1, points))))

    def scores(self, margin: np.ndarray) -> np.ndarray:
        """Percentiles 0-100: the share of reference quantiles below each margin, those
        equal to it counted half (a lead tied with many reference leads sits in the
        middle of them, not at their top or bottom)."""
        grid = np.asarray(self.margins)
        values = np.asarray(margin, dtype=float)
        below = np.searchsorted(grid, values, side="left")
        at_or_below = np.searchsorted(grid, values, side="right")
        return np.rint((below + at_or_below) / (2 * len(grid)) * 100).astype(int)


def score_cuts(shares: dict[str, float]) -> dict[str, int]:
    """The minimum score of each grade when A, B and C hold these shares, top first."""
    cuts, taken = {}, 0.0
    for g in GRADES[:-1]:
        taken += shares[g]
        cuts[g] = int(np.rint(100 * (1 - taken)))
    cuts["D"] = 0
    return cuts


@dataclass(frozen=True)
class GradeBands:
    """How a model turns margins into scores and grades.

    With a ``scale`` (models trained since the percentile score): the score is the
    margin's percentile, and ``scores`` are the minimum score of each grade. Without one:
    the score is the probability in per cent, and grades follow ``margins`` (a minimum raw
    margin per grade, fixed on the validation set), or ``scores`` alone for models trained
    before margin bands.
    """

    scores: dict[str, int]
    margins: dict[str, float] | None = None
    scale: ScoreScale | None = None

    def score(self, margin: np.ndarray, probability: np.ndarray) -> np.ndarray:
        if self.scale is None:
            return score(probability)
        return self.scale.scores(margin)

    def grades(self, margin: np.ndarray, probability: np.ndarray) -> np.ndarray:
        if self.scale is not None:
            return grade(self.scale.scores(margin), self.scores)
        if self.margins is None:
            return grade(score(probability), self.scores)
        return grade(margin, self.margins)

    def as_metadata(self) -> dict:
        """What a model records: ``grades`` (minimum scores), ``grade_margins`` and the
        ``score_scale`` (reference margins)."""
        return {
            "grades": dict(self.scores),
            "grade_margins": self.margins,
            "score_scale": None if self.scale is None else list(self.scale.margins),
        }

    @classmethod
    def from_metadata(cls, metadata: dict) -> GradeBands:
        scale = metadata.get("score_scale")
        return cls(
            dict(metadata["grades"]),
            metadata.get("grade_margins"),
            None if scale is None else ScoreScale(tuple(float(m) for m in scale)),
        )
