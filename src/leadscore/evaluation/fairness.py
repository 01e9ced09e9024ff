"""Fairness per segment: how the champion treats each country, industry, company size or
channel (any profile field named), and which features stand in for fields that must not
be features.

Per segment: how many leads, the share graded A or B, the mean probability, and where
outcomes are in, the realised conversion and AUC. The largest gap of each measure across
a field's segments (among segments large enough to measure) is flagged past its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count
from sklearn.metrics import roc_auc_score

from leadscore.evaluation.drift import as_labels
from leadscore.features.audit import single_feature_auc


@dataclass(frozen=True)
class FairnessLimits:
    min_leads: int = 100  # a smaller segment is listed, not compared
    share_ab_gap: float = 0.15  # share graded A or B
    auc_gap: float = 0.10
    calibration_gap: float = 0.05  # |realised - promised| between segments
    proxy_auc: float = 0.65  # a feature this good at telling a protected field apart


def segment_table(frame: pd.DataFrame, fields: Sequence[str], *, min_leads: int) -> pd.DataFrame:
    """One row a segment of each field: field, segment, leads, share_ab, promised (mean
    probability), and with a ``label`` column converted and auc (NaN where it cannot be
    measured); ``comparable`` marks segments of at least ``min_leads`` leads. Measured by
    fairlearn's ``MetricFrame``, a missing value being a segment of its own."""
    labelled = "label" in frame.columns
    truth = frame["label"].to_numpy(dtype=bool) if labelled else np.zeros(len(frame), bool)
    metrics = {"leads": count, "share_ab": _share_ab, "promised": _mean_probability}
    if labelled:
        metrics |= {"converted": _converted, "auc": _auc}
    parts = []
    for field in fields:
        if field not in frame.columns or frame.empty:
            continue
        values = as_labels(frame[field])
        by_group = MetricFrame(
            metrics=metrics,
            y_true=truth,
            y_pred=frame["probability"].to_numpy(dtype=float),
            sensitive_features=values.rename("segment").to_numpy(),
            sample_params={"share_ab": {"graded_ab": frame["grade"].isin(["A", "B"]).to_numpy()}},
        ).by_group
        parts.append(by_group.reset_index(names="segment").assign(field=field))
    columns = ["field", "segment", "leads", "share_ab", "promised", "converted", "auc"]
    if not parts:
        return pd.DataFrame(columns=[*columns, "comparable"])
    table = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    table = table.astype({"leads": int, "share_ab": float, "promised": float,
                          "converted": float, "auc": float})  # fmt: skip
    return table.assign(comparable=table["leads"] >= min_leads)


def _share_ab(y_true: np.ndarray, y_pred: np.ndarray, graded_ab: np.ndarray) -> float:
    return float(np.mean(graded_ab))


def _mean_probability(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_pred))


def _converted(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true))


def _auc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """NaN where a segment's leads all converted or none did."""
    labels = np.asarray(y_true, dtype=bool)
    if not 0 < labels.sum() < len(labels):
        return float("nan")
    return float(roc_auc_score(labels, y_pred))


def largest_gaps(table: pd.DataFrame, limits: FairnessLimits) -> pd.DataFrame:
    """Per field and measure, the segments furthest apart and whether the gap passes its
    limit (flagged)."""
    if table.empty:
        return pd.DataFrame(columns=["field", "measure", "high", "low", "gap", "flagged"])
    table = table.assign(calibration=(table["converted"] - table["promised"]).abs())
    limit = {
        "share_ab": limits.share_ab_gap,
        "auc": limits.auc_gap,
        "calibration": limits.calibration_gap,
    }
    rows = []
    for field, part in table[table["comparable"]].groupby("field"):
        for measure, most in limit.items():
            known = part.dropna(subset=[measure])
            if len(known) < 2:
                continue
            high = known.loc[known[measure].idxmax()]
            low = known.loc[known[measure].idxmin()]
            gap = float(high[measure] - low[measure])
            rows.append(
                {
                    "field": field,
                    "measure": measure,
                    "high": f"{high['segment']} ({high[measure]:.3f})",
                    "low": f"{low['segment']} ({low[measure]:.3f})",
                    "gap": gap,
                    "flagged": gap > most,
                }
            )
    return pd.DataFrame(rows).sort_values(["flagged", "gap"], ascending=[False, False])


def proxies(
    features: pd.DataFrame, protected: pd.Series, *, categorical: set[str], limit: float
) -> pd.DataFrame:
    """How well each feature alone tells the protected field's values apart: the best
    one-against-the-rest single-feature AUC over its values (0.5: not at all; the
    leakage audit's measure); past ``limit`` a proxy."""
    target = as_labels(protected)
    levels = [v for v in target.unique() if 0 < (target == v).sum() < len(target)]
    rows = []
    for name in features.columns:
        column = features[name]
        # a category's values as labels, a number's as numbers (what the model reads)
        values = (
            column.astype("object")
            if name in categorical
            else pd.to_numeric(column, errors="coerce").astype("float64")
        )
        best = 0.5
        for level in levels:
            best = max(best, single_feature_auc(values, (target == level).to_numpy()))
        rows.append({"feature": name, "auc": float(best), "proxy": best > limit})
    frame = pd.DataFrame(rows, columns=["feature", "auc", "proxy"])
    return frame.sort_values("auc", ascending=False).reset_index(drop=True)


def present(protected_fields: Sequence[str], model_features: Sequence[str]) -> list[str]:
    """The fields that must not be features but are (each a problem to fix)."""
    named = set(model_features)
    return [f for f in protected_fields if f in named]
