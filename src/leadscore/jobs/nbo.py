"""The next-best-offer job: from a source to a registered model."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from leadscore.common.errors import InputError
from leadscore.evaluation.cards import nbo_card
from leadscore.evaluation.nbo import NBOEvaluation, evaluate_nbo
from leadscore.features.training_set import FeatureTable
from leadscore.jobs.inputs import (
    TEST_TABLE,
    JobResult,
    build_table,
    feature_set_of,
    ground_truth,
    load_data,
)
from leadscore.jobs.tracked import lineage, log_and_register
from leadscore.training.config import TrainingConfig
from leadscore.training.nbo import fit_nbo, offer_labels


def train_nbo(
    table: FeatureTable,
    labels: pd.DataFrame,
    offers: pd.DataFrame,
    config: TrainingConfig,
    affinity: pd.DataFrame | None = None,
) -> NBOEvaluation:
    """Fit the offers' propensities on train and validation, evaluate them on test."""
    fitted = fit_nbo(table, labels, offers, config)
    return evaluate_nbo(fitted, table, labels, seed=config.seed, affinity=affinity)


def run_nbo(config: TrainingConfig, *, features_file: Path | None = None) -> JobResult:
    if features_file is not None:
        raise InputError("the nbo job builds its own per-offer labels: leave out --features")
    timings = {}
    clock = time.perf_counter()
    feature_set = feature_set_of(config)
    data, files = load_data(config)
    table = build_table(config, data, feature_set)
    labels = offer_labels(
        data, table.frame[["customer_id", "as_of"]], config.horizon_days, config.nbo
    )
    timings["features"] = time.perf_counter() - clock
    clock = time.perf_counter()
    catalog = [c for c in ("offer_id", "name", "kind", "value", "currency") if c in data.offers]
    offers = data.offers[catalog].astype({"offer_id": "str"})
    if config.nbo.offers:
        offers = offers[offers["offer_id"].isin(config.nbo.offers)]
    evaluation = train_nbo(table, labels, offers, config, ground_truth(config, "offer_affinity"))
    timings["train_evaluate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    metrics = {
        f"{name.replace('/', '_')}_{k}": v
        for name, values in evaluation.rankings.items()
        for k, v in values.items()
    }
    for row in evaluation.per_offer.itertuples():
        metrics[f"offer_{row.offer_id}_test_log_loss"] = row.test_log_loss
    run = log_and_register(
        config,
        evaluation.model,
        kind="nbo",
        params={
            "feature_set": feature_set.id,
            "horizon_days": config.horizon_days,
            "offers": ",".join(offers["offer_id"]),
            "seed": config.seed,
            "max_offers": config.nbo.max_offers,
        },
        metrics=metrics,
        tags={"feature_set": feature_set.id, **lineage(files)},
        texts={
            "model_card.md": nbo_card(evaluation, table),
            "per_offer.csv": evaluation.per_offer.to_csv(index=False),
        },
        frames={TEST_TABLE: evaluation.test},
    )
    timings["track"] = time.perf_counter() - clock
    return JobResult("nbo", evaluation, table, run, timings)
