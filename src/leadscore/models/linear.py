"""A logistic regression on the encoded feature matrix, kept as plain numbers (JSON) so that
it can be registered and served like a booster, and explained exactly.

Each feature adds one term to the margin: a number is imputed with its training median,
put through a signed log1p, standardised and weighted (plus a weight for "was missing"
where training saw missing values); a category looks up its level's weight (levels too
rare in training share one weight, a missing value has its own). Because the margin is a
sum of one term per feature, its exact Shapley values against the training rows are each
term minus that term's training mean, and the base value is the mean margin: base value
plus contributions equals the margin, as with TreeSHAP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leadscore.common.errors import InputError

LINEAR_FILE = "linear.json"


def signed_log1p(values: np.ndarray) -> np.ndarray:
    out = np.log1p(np.abs(values))
    return np.copysign(out, values, out=out)  # in place: one temporary, not three


@dataclass(frozen=True)
class NumberTerm:
    """``weight * (slog(x or median) - mean) / scale + missing_weight * [x missing]``."""

    median: float
    mean: float
    scale: float
    weight: float
    missing_weight: float
    expected: float  # the term's mean over the training rows

    def __call__(self, column: np.ndarray) -> np.ndarray:
        missing = np.isnan(column)
        filled = np.where(missing, self.median, column)
        return (
            self.weight * (signed_log1p(filled) - self.mean) / self.scale
            + self.missing_weight * missing
        )


@dataclass(frozen=True)
class CategoryTerm:
    """The weight of the level's code; the last weight is a missing value's. A level
    training never saw (a later code) weighs nothing, as in a one-hot encoding."""

    weights: tuple[float, ...]
    expected: float

    def __call__(self, column: np.ndarray) -> np.ndarray:
        table = np.append(np.asarray(self.weights), 0.0)
        missing = len(self.weights) - 1
        codes = np.where(np.isnan(column), missing, column)
        codes = np.where((codes >= missing) & ~np.isnan(column), missing + 1, codes)
        return table[codes.astype(np.intp)]


Term = NumberTerm | CategoryTerm


@dataclass(frozen=True)
class LinearModel:
    """An additive margin over the encoded features: intercept plus one term per feature."""

    intercept: float
    terms: tuple[Term, ...]

    def _term_matrix(self, matrix: np.ndarray) -> np.ndarray:
        if matrix.shape[1] != len(self.terms):
            raise InputError(
                f"the linear model reads {len(self.terms)} features; got {matrix.shape[1]}"
            )
        out = np.empty(matrix.shape, dtype=np.float64)
        for j, term in enumerate(self.terms):
            out[:, j] = term(matrix[:, j])
        return out

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        return self.intercept + self._term_matrix(matrix).sum(axis=1)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Exact Shapley values on the margin: one column per feature, then the base value."""
        expected = np.array([term.expected for term in self.terms])
        out = np.empty((matrix.shape[0], len(self.terms) + 1))
        out[:, :-1] = self._term_matrix(matrix) - expected
        out[:, -1] = self.intercept + expected.sum()
        return out

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """The regression's own (uncalibrated) probability."""
        return 1.0 / (1.0 + np.exp(-self.margin(matrix)))

    def to_json(self) -> dict:
        terms = []
        for term in self.terms:
            if isinstance(term, NumberTerm):
                terms.append({"number": vars(term)})
            else:
                terms.append(
                    {"category": {"weights": list(term.weights), "expected": term.expected}}
                )
        return {"intercept": self.intercept, "terms": terms}

    @classmethod
    def from_json(cls, raw: dict) -> LinearModel:
        terms: list[Term] = []
        for entry in raw["terms"]:
            if "number" in entry:
                terms.append(NumberTerm(**entry["number"]))
            else:
                spec = entry["category"]
                terms.append(CategoryTerm(tuple(spec["weights"]), spec["expected"]))
        return cls(float(raw["intercept"]), tuple(terms))

    def save_model(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load_model(cls, path: Path) -> LinearModel:
        try:
            return cls.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a leadscore linear model ({exc})") from None
