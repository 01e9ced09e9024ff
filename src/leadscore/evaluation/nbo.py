"""Evaluation of a next-best-offer model on the test rows: each offer's log loss, and
rankings against popularity, random and, on synthetic data, the oracle."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadscore.evaluation.metrics import ranking_metrics
from leadscore.features.training_set import FeatureTable
from leadscore.models.calibrator import clipped_log_loss
from leadscore.models.nbo import LABEL_PREFIX, NBOModel
from leadscore.training.nbo import FittedNBO


@dataclass
class NBOEvaluation:
    model: NBOModel
    rankings: dict[str, dict[str, float]]
    per_offer: pd.DataFrame
    split_ranges: dict[str, str]
    test: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


def evaluate_nbo(
    fitted: FittedNBO,
    table: FeatureTable,
    labels: pd.DataFrame,
    *,
    seed: int,
    affinity: pd.DataFrame | None = None,
) -> NBOEvaluation:
    """Per-offer test log loss and ranking quality on the test rows of ``fitted``'s split."""
    frame, features = table.frame, table.feature_names
    model, split = fitted.model, fitted.split
    test = frame.iloc[split.test].reset_index(drop=True)
    test_labels = labels.iloc[split.test].reset_index(drop=True)
    propensity = model.propensities(fitted.matrix[split.test])
    per_offer = fitted.per_offer.copy()
    per_offer["test_log_loss"] = offer_log_losses(model, test_labels, propensity)
    rankings = evaluate_rankings(
        model, test, test_labels, propensity, labels.iloc[split.train], affinity, seed
    )
    return NBOEvaluation(
        model,
        rankings,
        per_offer,
        split.describe(frame["as_of"]),
        pd.concat([test[["customer_id", "as_of", *features]], test_labels], axis=1),
    )


def offer_labels_of(test: pd.DataFrame) -> pd.DataFrame:
    """The per-offer label columns of a test table."""
    return test[[c for c in test.columns if c.startswith(LABEL_PREFIX)]]


def offer_log_losses(model: NBOModel, labels: pd.DataFrame, propensity: np.ndarray) -> list[float]:
    """Each catalog offer's log loss on rows with these labels."""
    return [
        clipped_log_loss(labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool), propensity[:, j])
        for j, o in enumerate(model.offers["offer_id"])
    ]


def evaluate_rankings(
    model: NBOModel,
    test: pd.DataFrame,
    test_labels: pd.DataFrame,
    propensity: np.ndarray,
    train_labels: pd.DataFrame,
    affinity: pd.DataFrame | None,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Hit rates, MAP and NDCG at 3 for products (rows with a purchase) and nurture content
    (rows with an engagement), against popularity, random and, on synthetic data, the oracle."""
    offers = model.offers["offer_id"].to_numpy()
    kinds = model.offers["kind"].to_numpy()
    taken = test_labels[[f"{LABEL_PREFIX}{o}" for o in offers]].to_numpy(dtype=bool)
    eligible = model.eligible(test)
    popularity = train_labels[[f"{LABEL_PREFIX}{o}" for o in offers]].to_numpy().mean(axis=0)
    random = np.random.default_rng(seed).random(propensity.shape)
    scores = {
        "model": propensity,
        "popularity": np.broadcast_to(popularity, propensity.shape),
        "random": random,
    }
    if affinity is not None:
        scores["oracle"] = _oracle_scores(test, affinity, offers)
    out = {}
    for kind_name, kind_mask in (("products", kinds == "product"), ("nurture", kinds != "product")):
        for name, values in scores.items():
            if values is None:
                continue
            relevant, ranked = [], []
            for i in range(len(test)):
                allowed = np.flatnonzero(kind_mask & eligible[i] & np.isfinite(values[i]))
                truth = {offers[j] for j in allowed if taken[i, j]}
                if not truth:
                    continue
                order = allowed[np.argsort(-values[i, allowed], kind="stable")]
                relevant.append(truth)
                ranked.append([offers[j] for j in order])
            out[f"{kind_name}/{name}"] = ranking_metrics(relevant, ranked, k=3)
    return out


def _oracle_scores(test: pd.DataFrame, affinity: pd.DataFrame, offers: np.ndarray) -> np.ndarray:
    table = affinity.pivot(index="customer_id", columns="offer_id", values="affinity")
    table = table.reindex(columns=offers)
    values = table.reindex(test["customer_id"].astype("str")).to_numpy(dtype=float)
    return np.where(np.isnan(values), -np.inf, values)  # rows without truth rank nothing
