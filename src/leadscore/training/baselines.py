"""The baselines a model must beat: a points score as marketing automation tools keep it,
and a logistic regression on the same features."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from leadscore.models.linear import CategoryTerm, LinearModel, NumberTerm, signed_log1p


def points_score(frame: pd.DataFrame, points: dict[str, float], cap: float) -> np.ndarray:
    """Sum of points per unit of each behaviour, each rule capped (lead scoring as usual)."""
    total = np.zeros(len(frame))
    for feature, per_unit in points.items():
        if feature not in frame.columns:
            continue
        values = pd.to_numeric(frame[feature], errors="coerce").fillna(0).to_numpy()
        total += np.minimum(values * per_unit, cap)
    return total


def fit_logistic(
    matrix: np.ndarray,
    label: np.ndarray,
    categorical: list[int],
    *,
    min_frequency: int = 20,
    weight: np.ndarray | None = None,
) -> LinearModel:
    """Standardised numbers (signed log1p, median for missing, a flag where training had
    missing values), one-hot categories (levels rarer than ``min_frequency`` share one),
    L2-regularised; returned as a servable, exactly explainable :class:`LinearModel`.

    Reads the model's own encoded matrix (categories as codes, missing as NaN): the same
    information as the feature table, without pandas' object columns.
    """
    categorical_set = set(categorical)
    builders = [
        _category_columns(matrix[:, j], min_frequency)
        if j in categorical_set
        else _number_columns(matrix[:, j])
        for j in range(matrix.shape[1])
    ]
    design = np.column_stack([c for b in builders for c in b.columns] or [np.zeros(len(label))])
    fit = LogisticRegression(C=1.0, max_iter=300).fit(design, label, sample_weight=weight)
    coef = iter(fit.coef_[0])
    intercept = float(fit.intercept_[0])
    terms = []
    for builder, j in zip(builders, range(matrix.shape[1]), strict=True):
        weights = [float(next(coef)) for _ in builder.columns]
        term, shift = builder.term(weights, matrix[:, j])
        terms.append(term)
        intercept += shift
    return LinearModel(intercept, tuple(terms))


@dataclass
class _NumberColumns:
    median: float
    mean: float
    scale: float
    missing_share: float
    columns: list[np.ndarray]

    def term(self, weights: list[float], column: np.ndarray) -> tuple[NumberTerm, float]:
        missing_weight, shift = 0.0, 0.0
        if len(weights) == 2:  # the flag was standardised too: its constant moves out
            flag_scale = np.sqrt(self.missing_share * (1 - self.missing_share))
            missing_weight = weights[1] / flag_scale
            shift = -missing_weight * self.missing_share
        draft = NumberTerm(self.median, self.mean, self.scale, weights[0], missing_weight, 0.0)
        expected = float(draft(column).mean())
        return dataclasses.replace(draft, expected=expected), shift


def _number_columns(column: np.ndarray) -> _NumberColumns:
    missing = np.isnan(column)
    median = float(np.median(column[~missing])) if (~missing).any() else 0.0
    z = signed_log1p(np.where(missing, median, column))
    if np.ptp(z) == 0:  # one value: exactly zero once centred, so it weighs nothing
        mean, scale = float(z[0]), 1.0
    else:
        mean, scale = float(z.mean()), float(z.std())
    columns = [(z - mean) / scale]
    share = float(missing.mean())
    if 0 < share < 1:
        columns.append((missing - share) / np.sqrt(share * (1 - share)))
    return _NumberColumns(median, mean, scale, share, columns)


@dataclass
class _CategoryColumns:
    slots: np.ndarray  # per code (the last: missing), its one-hot column; -1: none
    columns: list[np.ndarray]

    def term(self, weights: list[float], column: np.ndarray) -> tuple[CategoryTerm, float]:
        table = np.array([weights[s] if s >= 0 else 0.0 for s in self.slots])
        draft = CategoryTerm(tuple(float(w) for w in table), 0.0)
        return dataclasses.replace(draft, expected=float(draft(column).mean())), 0.0


def _category_columns(column: np.ndarray, min_frequency: int) -> _CategoryColumns:
    levels = int(np.nanmax(column)) + 1 if (~np.isnan(column)).any() else 0
    codes = np.where(np.isnan(column), levels, column).astype(np.intp)
    counts = np.bincount(codes, minlength=levels + 1)
    slots = np.full(levels + 1, -1)
    columns = []
    for code in np.flatnonzero(counts >= min_frequency):
        slots[code] = len(columns)
        columns.append((codes == code).astype(np.float64))
    rare = (counts > 0) & (counts < min_frequency)
    if rare.any():
        slots[rare] = len(columns)
        columns.append(rare[codes].astype(np.float64))
    return _CategoryColumns(slots, columns)
