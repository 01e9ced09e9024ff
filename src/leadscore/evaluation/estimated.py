"""Performance before the labels arrive: what a calibrated model's own probabilities say
its AUC and its conversion per grade will be (confidence-based performance estimation).

If the probabilities are calibrated, a lead scored p converts with chance p, so the
expected number of (converter, non-converter) pairs a score ranks right is a sum over the
leads ranked below each lead: that expectation over the expected number of such pairs is
the AUC to expect. It is only as good as the calibration: drift that breaks it breaks the
estimate too, which is why the realised AUC replaces it once outcomes are in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def expected_auc(probability: np.ndarray, score: np.ndarray | None = None) -> float:
    """The AUC to expect of ``score`` (default: the probabilities themselves) when each
    lead converts with its calibrated ``probability``; ties count half."""
    p = np.asarray(probability, dtype=float)
    s = p if score is None else np.asarray(score, dtype=float)
    if len(p) < 2:
        return float("nan")
    order = np.argsort(s, kind="stable")
    p, s = p[order], s[order]
    misses = 1.0 - p
    # per distinct score: the misses strictly below it, and those at it
    _, first = np.unique(s, return_index=True)
    group_misses = np.add.reduceat(misses, first)
    below = np.concatenate([[0.0], np.cumsum(group_misses)[:-1]])
    group_hits = np.add.reduceat(p, first)
    # pairs within a score group: hits times misses at that score, less each lead with itself
    same = group_hits * group_misses - np.add.reduceat(p * misses, first)
    ranked_right = float(np.sum(group_hits * below) + 0.5 * np.sum(same))
    pairs = float(p.sum() * misses.sum() - np.sum(p * misses))
    return ranked_right / pairs if pairs > 0 else float("nan")


def expected_per_grade(grades: pd.Series, probability: pd.Series) -> pd.DataFrame:
    """Each grade's share of the leads and the conversion its probabilities promise."""
    frame = pd.DataFrame({"grade": grades.astype(str), "probability": probability.astype(float)})
    table = frame.groupby("grade").agg(
        leads=("probability", "size"), expected=("probability", "mean")
    )
    table["share"] = table["leads"] / table["leads"].sum()
    return table.reset_index()
