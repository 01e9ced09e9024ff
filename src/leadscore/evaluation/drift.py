"""Drift of features and scores: a recent period set against the champion's training data.

Each feature gets a population stability index (PSI, over the reference's deciles for a
number, over categories for a category, missing values a bin of their own) and a test
(two-sample Kolmogorov-Smirnov for a number, chi-squared for a category). A feature has
drifted when both say so: the PSI reaches its threshold (0.2 by convention: a shift worth
acting on) and the test's p-value is below its level. With hundreds of thousands of rows
a test alone flags shifts too small to matter, and the PSI alone shifts of a few rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

EPSILON = 1e-4  # an empty bin's share: the PSI of a bin present on one side only is finite
MISSING = "(missing)"


@dataclass(frozen=True)
class DriftThresholds:
    psi: float = 0.2
    p_value: float = 0.01
    bins: int = 10


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str  # "number" or "category"
    psi: float
    test: str  # "ks" or "chi2"
    p_value: float
    drifted: bool
    new_categories: tuple[str, ...]  # values the reference never had

    def as_dict(self) -> dict:
        return {
            "feature": self.feature,
            "kind": self.kind,
            "psi": self.psi,
            "test": self.test,
            "p_value": self.p_value,
            "drifted": self.drifted,
            "new_categories": list(self.new_categories),
        }


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """The PSI of two distributions over the same bins (shares or counts)."""
    expected = _shares(reference)
    actual = _shares(current)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    shares = counts / total if total > 0 else np.zeros_like(counts)
    return np.maximum(shares, EPSILON)


def number_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    ref = pd.to_numeric(reference, errors="coerce").to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").to_numpy(dtype=float)
    ref_known, cur_known = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    edges = (
        np.unique(np.quantile(ref_known, np.linspace(0, 1, thresholds.bins + 1)[1:-1]))
        if len(ref_known)
        else np.array([])
    )

    def counts(values: np.ndarray, known: np.ndarray) -> np.ndarray:
        binned = np.bincount(np.searchsorted(edges, known, side="right"), minlength=len(edges) + 1)
        return np.append(binned, len(values) - len(known))  # the missing ones' bin

    index = psi(counts(ref, ref_known), counts(cur, cur_known))
    p_value = (
        float(stats.ks_2samp(ref_known, cur_known).pvalue)
        if len(ref_known) and len(cur_known)
        else 1.0
    )
    drifted = index >= thresholds.psi and p_value < thresholds.p_value
    return FeatureDrift(name, "number", index, "ks", p_value, drifted, ())


def as_labels(values: pd.Series) -> pd.Series:
    """Values as text labels, a missing value a label of its own (``MISSING``)."""
    return values.astype("object").where(values.notna(), MISSING).astype(str)


def category_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    ref, cur = as_labels(reference), as_labels(current)
    levels = sorted(set(ref.unique()) | set(cur.unique()))
    ref_counts = ref.value_counts().reindex(levels, fill_value=0).to_numpy()
    cur_counts = cur.value_counts().reindex(levels, fill_value=0).to_numpy()
    index = psi(ref_counts, cur_counts)
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    p_value = (
        float(stats.chi2_contingency(table).pvalue)
        if table.shape[1] > 1 and table[0].sum() and table[1].sum()
        else 1.0
    )
    new = tuple(sorted(set(cur.unique()) - set(ref.unique()) - {MISSING}))
    drifted = index >= thresholds.psi and p_value < thresholds.p_value
    return FeatureDrift(name, "category", index, "chi2", p_value, drifted, new)


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    categorical: set[str],
    thresholds: DriftThresholds = DriftThresholds(),
) -> list[FeatureDrift]:
    """Every column the two frames share, most drifted first."""
    found = []
    for name in [c for c in reference.columns if c in current.columns]:
        measure = category_drift if name in categorical else number_drift
        found.append(measure(name, reference[name], current[name], thresholds))
    return sorted(found, key=lambda d: (not d.drifted, -d.psi))
