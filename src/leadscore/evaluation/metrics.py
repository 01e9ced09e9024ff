"""Evaluation metrics for probabilities and rankings."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from leadscore.models.calibrator import clipped_log_loss


def expected_calibration_error(label: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-count bins, weighted by size."""
    order = np.argsort(probability, kind="stable")
    error = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            error += len(part) * abs(label[part].mean() - probability[part].mean())
    return float(error / len(label))


def lift_at(label: np.ndarray, score: np.ndarray, share: float = 0.10) -> float:
    """Conversion rate of the top ``share`` by score over the overall rate."""
    top = max(1, round(len(score) * share))
    chosen = np.argsort(-score, kind="stable")[:top]
    base = label.mean()
    return float(label[chosen].mean() / base) if base > 0 else float("nan")


def probability_metrics(label: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    label = label.astype(bool)
    return {
        "roc_auc": float(roc_auc_score(label, probability)),
        "pr_auc": float(average_precision_score(label, probability)),
        "log_loss": clipped_log_loss(label, probability),
        "brier": float(brier_score_loss(label, probability)),
        "ece": expected_calibration_error(label, probability),
        "lift_at_10pct": lift_at(label, probability),
        "positive_rate": float(label.mean()),
    }


def ranking_metrics(relevant: list[set[str]], ranked: list[list[str]], k: int = 3) -> dict:
    """Hit rate at 1 and k, MAP at k and NDCG at k, over rows with something relevant."""
    hits1, hitsk, aps, ndcgs = [], [], [], []
    for truth, ranking in zip(relevant, ranked, strict=True):
        if not truth:
            continue
        top = ranking[:k]
        hits1.append(bool(top[:1]) and top[0] in truth)
        hitsk.append(any(o in truth for o in top))
        found, precision = 0, 0.0
        for i, offer in enumerate(top, start=1):
            if offer in truth:
                found += 1
                precision += found / i
        aps.append(precision / min(len(truth), k))
        dcg = sum(1 / np.log2(i + 1) for i, o in enumerate(top, start=1) if o in truth)
        ideal = sum(1 / np.log2(i + 1) for i in range(1, min(len(truth), k) + 1))
        ndcgs.append(dcg / ideal)
    if not hits1:
        return {"rows": 0}
    return {
        "rows": len(hits1),
        "hit_rate_at_1": float(np.mean(hits1)),
        f"hit_rate_at_{k}": float(np.mean(hitsk)),
        f"map_at_{k}": float(np.mean(aps)),
        f"ndcg_at_{k}": float(np.mean(ndcgs)),
    }
