"""Leakage audit: features that predict the label too well, and fields known only later.

A feature whose single-feature AUC is close to 1 usually encodes the outcome (a status set
when the deal closed, a call duration known after the call). Fields the source config
declares post-outcome are never features; the audit still measures them, so a reader sees
how much they would have leaked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

DEFAULT_SUSPICIOUS_AUC = 0.85
# a field missing this much more often in one class than in the other is recorded unevenly
MISSING_GAP = 0.5
# names and values that sales typically fill in during or after contact with the lead
_OUTCOME_WORDS = re.compile(
    r"(?<![a-z])(tags?|quality|status|stage|outcome|result|won|lost|closed?|reason|"
    r"disposition|converted|interested|not interested|qualified|rejected)(?![a-z])",
    re.IGNORECASE,
)


def single_feature_auc(values: pd.Series, label: np.ndarray) -> float:
    """AUC of one column alone (direction-free: 0.5 is useless, 1.0 gives the label away).

    One rule for every field: missing is a value of its own, placed where it separates the
    classes best (for numbers: below or above every present value).
    """
    if len(np.unique(label)) < 2:
        return float("nan")
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        as_text = values.astype("object").where(values.notna(), "(missing)").astype("str")
        score = pd.Series(label, index=values.index).groupby(as_text.to_numpy()).transform("mean")
        return _direction_free(roc_auc_score(label, score.to_numpy()))
    numbers = values.astype("float64")
    if numbers.isna().all():
        return 0.5
    low, high = numbers.min() - 1.0, numbers.max() + 1.0
    return max(
        _direction_free(roc_auc_score(label, numbers.fillna(filler).to_numpy()))
        for filler in (low, high)
    )


def _direction_free(auc: float) -> float:
    return float(max(auc, 1.0 - auc))


def _missing_gap(values: pd.Series, label: np.ndarray) -> tuple[float, float]:
    """The share of missing values among converted rows and among the others."""
    missing = values.isna().to_numpy()
    positive = label.astype(bool)
    if positive.all() or not positive.any():
        return 0.0, 0.0
    return float(missing[positive].mean()), float(missing[~positive].mean())


def _looks_like_an_outcome(name: str, values: pd.Series) -> bool:
    if _OUTCOME_WORDS.search(str(name).replace("_", " ")):
        return True
    if isinstance(values.dtype, pd.CategoricalDtype):
        return any(_OUTCOME_WORDS.search(str(c)) for c in values.cat.categories[:200])
    return False


def _suspicions(name: str, values: pd.Series, label: np.ndarray, auc: float, limit: float) -> str:
    """Why a feature may encode the outcome, or '' when nothing suggests it."""
    if auc >= limit:
        return f"single-feature AUC {auc:.3f} >= {limit}: may encode the outcome"
    in_positive, in_negative = _missing_gap(values, label)
    if abs(in_positive - in_negative) >= MISSING_GAP:
        return (
            f"missing in {in_positive:.0%} of converted rows and {in_negative:.0%} of the "
            "others: may be filled in only after contact"
        )
    if _looks_like_an_outcome(name, values):
        return "its name or values look like a sales outcome (status, tags, quality)"
    return ""


def leakage_audit(
    frame: pd.DataFrame,
    features: Iterable[str],
    label: np.ndarray,
    *,
    post_outcome: pd.DataFrame | None = None,
    identifiers: Iterable[str] = (),
    suspicious_auc: float = DEFAULT_SUSPICIOUS_AUC,
) -> pd.DataFrame:
    """One row per feature, post-outcome field and identifier column left out: its AUC
    (none for an identifier), whether it is flagged, and why."""
    rows = []
    for name in features:
        auc = single_feature_auc(frame[name], label)
        reason = _suspicions(name, frame[name], label, auc, suspicious_auc)
        rows.append(
            {
                "field": name,
                "kind": "feature",
                "single_feature_auc": round(auc, 4),
                "flagged": bool(reason),
                "reason": reason,
                "action": "kept: check how it is recorded" if reason else "kept",
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
    for name in identifiers:
        rows.append(
            {
                "field": name,
                "kind": "identifier",
                "single_feature_auc": float("nan"),
                "flagged": True,
                "reason": "its values look like ids or hashes: they name a lead, not describe it",
                "action": "excluded: name it under the feature set's profile.include to use it",
            }
        )
    audit = pd.DataFrame(
        rows, columns=["field", "kind", "single_feature_auc", "flagged", "reason", "action"]
    )
    return audit.sort_values(
        ["flagged", "single_feature_auc"], ascending=False, na_position="last", ignore_index=True
    )
