"""Scores (0-100) from probabilities, and grades by a model's bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRADES = ("A", "B", "C", "D")


def score(probability: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(probability) * 100).astype(int)


def grade(values: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """Grades by the minimum value each begins at: scores (the bands of models trained
    before margin bands) or margins."""
    out = np.full(len(values), "D", dtype=object)
    for g in reversed(GRADES[:-1]):
        out[np.asarray(values) >= thresholds[g]] = g
    return out


@dataclass(frozen=True)
class GradeBands:
    """Where each grade begins, fixed on the validation set: a minimum raw margin per
    grade (A, B, C; D is the rest), so that the grades hold their configured shares even
    where many leads share a score, and the minimum score each grade began at there.

    Models trained before margin bands have scores alone; they grade by score.
    """

    scores: dict[str, int]
    margins: dict[str, float] | None = None

    def grades(self, margin: np.ndarray, probability: np.ndarray) -> np.ndarray:
        if self.margins is None:
            return grade(score(probability), self.scores)
        return grade(margin, self.margins)

    def as_metadata(self) -> dict:
        """What a model records: ``grades`` (scores, as before) and ``grade_margins``."""
        return {"grades": dict(self.scores), "grade_margins": self.margins}

    @classmethod
    def from_metadata(cls, metadata: dict) -> GradeBands:
        return cls(dict(metadata["grades"]), metadata.get("grade_margins"))
