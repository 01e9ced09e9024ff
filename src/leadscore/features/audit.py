"""Leakage audit: features that predict the label too well, and fields known only later.

A feature whose single-feature AUC is close to 1 usually encodes the outcome (a status set
when the deal closed, a call duration known after the call). Fields the source config
declares post-outcome are never features; the audit still measures them, so a reader sees
how much they would have leaked.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

DEFAULT_SUSPICIOUS_AUC = 0.85


def single_feature_auc(values: pd.Series, label: np.ndarray) -> float:
    """AUC of one column alone (direction-free: 0.5 is useless, 1.0 gives the label away)."""
    if len(np.unique(label)) < 2:
        return float("nan")
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        as_text = values.astype("object").where(values.notna(), "(missing)").astype("str")
        score = pd.Series(label, index=values.index).groupby(as_text.to_numpy()).transform("mean")
    else:
        numbers = values.astype("float64")
        filler = (numbers.min() - 1.0) if numbers.notna().any() else 0.0
        score = numbers.fillna(filler)
    auc = roc_auc_score(label, score.to_numpy())
    return float(max(auc, 1.0 - auc))


def leakage_audit(
    frame: pd.DataFrame,
    features: Iterable[str],
    label: np.ndarray,
    *,
    post_outcome: pd.DataFrame | None = None,
    suspicious_auc: float = DEFAULT_SUSPICIOUS_AUC,
) -> pd.DataFrame:
    """One row per feature and post-outcome field: its AUC, whether it is flagged, and why."""
    rows = []
    for name in features:
        auc = single_feature_auc(frame[name], label)
        flagged = bool(auc >= suspicious_auc)
        rows.append(
            {
                "field": name,
                "kind": "feature",
                "single_feature_auc": round(auc, 4),
                "flagged": flagged,
                "reason": (
                    f"single-feature AUC {auc:.3f} >= {suspicious_auc}: may encode the outcome"
                    if flagged
                    else ""
                ),
                "action": "kept: check how it is recorded" if flagged else "kept",
            }
        )
    for name in [] if post_outcome is None else post_outcome.columns:
        auc = single_feature_auc(post_outcome[name], label)
        rows.append(
            {
                "field": name,
                "kind": "post_outcome",
                "single_feature_auc": round(auc, 4),
                "flagged": True,
                "reason": "known only after the outcome (source config: post_outcome_columns)",
                "action": "excluded: known only after the outcome",
            }
        )
    audit = pd.DataFrame(
        rows, columns=["field", "kind", "single_feature_auc", "flagged", "reason", "action"]
    )
    return audit.sort_values(
        ["flagged", "single_feature_auc"], ascending=False, na_position="last", ignore_index=True
    )
