"""The next-best-offer job: from a source to a registered model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.evaluation.cards import nbo_card, offer_response_card
from leadscore.evaluation.nbo import NBOEvaluation, evaluate_nbo
from leadscore.evaluation.offer_policy import (
    LEARNT,
    LOGGING,
    OfferEvaluation,
    choose_response,
    evaluate_offer_policy,
)
from leadscore.features.definitions import FeatureSetDefinition
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
from leadscore.models.nbo import LOCALISED_NAMES
from leadscore.training.config import TrainingConfig
from leadscore.training.nbo import fit_nbo, offer_labels
from leadscore.training.response_rows import ResponseData, response_data

# what an NBO model keeps of the catalog (the names a reader sees, where given)
CATALOG_COLUMNS = ("offer_id", "name", "kind", "value", "currency", *LOCALISED_NAMES.values())


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
    if config.nbo.learn_from == "exposures":
        return run_nbo_from_exposures(config)
    clock = time.perf_counter()
    feature_set = feature_set_of(config)
    data, files = load_data(config)
    table = build_table(config, data, feature_set)
    labels = offer_labels(
        data, table.frame[["customer_id", "as_of"]], config.horizon_days, config.nbo
    )
    features_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    catalog = [c for c in CATALOG_COLUMNS if c in data.offers]
    offers = data.offers[catalog].astype({"offer_id": "str"})
    if config.nbo.offers:
        offers = offers[offers["offer_id"].isin(config.nbo.offers)]
    evaluation = train_nbo(table, labels, offers, config, ground_truth(config, "offer_affinity"))
    train_evaluate_seconds = time.perf_counter() - clock
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
    timings = {
        "features": features_seconds,
        "train_evaluate": train_evaluate_seconds,
        "track": time.perf_counter() - clock,
    }
    return JobResult("nbo", evaluation, table, run, timings)


def run_nbo_from_exposures(config: TrainingConfig) -> JobResult:
    """Learn the response to offers made, judge its choices on the test period's offers
    made against the baselines, register it (the gate then uses its DR value)."""
    clock = time.perf_counter()
    feature_set = feature_set_of(config)
    data, files = load_data(config)
    response = offers_made(config, data, feature_set)
    features_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    chosen = choose_response(response, config)
    train_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    evaluation = evaluate_offer_policy(
        response, chosen, config, truth=ground_truth(config, "offer_decisions")
    )
    evaluate_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    policies = evaluation.comparison.table()
    run = log_and_register(
        config,
        evaluation.model,
        kind="nbo",
        params={
            "feature_set": feature_set.id,
            "learn_from": "exposures",
            "learner": chosen.fitted.learner,
            "default_valid_days": config.horizon_days,
            "offers": ",".join(evaluation.model.offers["offer_id"]),
            "offers_made": len(response.exposed),
            "seed": config.seed,
            "max_offers": config.nbo.max_offers,
        },
        metrics=policy_metrics(evaluation),
        tags={"feature_set": feature_set.id, **lineage(files)},
        texts={
            "model_card.md": offer_response_card(evaluation, feature_set.id),
            "policies.csv": policies.to_csv(index=False),
            "per_offer.csv": evaluation.per_offer.to_csv(index=False),
        },
        frames={TEST_TABLE: evaluation.test},
    )
    timings = {
        "features": features_seconds,
        "train": train_seconds,
        "evaluate": evaluate_seconds,
        "track": time.perf_counter() - clock,
    }
    return JobResult("nbo", evaluation, None, run, timings)


def offers_made(
    config: TrainingConfig, data: CanonicalData, feature_set: FeatureSetDefinition
) -> ResponseData:
    """The config's offers made and customers not offered, labelled, with features."""
    return response_data(
        data,
        feature_set,
        default_valid_days=config.horizon_days,
        engagement_event_types=config.nbo.engagement_event_types,
        seed=config.seed,
        offer_ids=config.nbo.offers,
    )


def policy_metrics(evaluation: OfferEvaluation) -> dict[str, float]:
    """Each policy's estimates (value, interval) and true values, as run metrics."""
    metrics = {}
    for policy, estimates in evaluation.comparison.estimates.items():
        name = METRIC_NAMES.get(policy, policy)
        for estimator, estimate in estimates.items():
            metrics[f"{name}_{estimator}_value"] = estimate.value
            metrics[f"{name}_{estimator}_low"] = estimate.low
            metrics[f"{name}_{estimator}_high"] = estimate.high
    logged = evaluation.comparison.logged_value
    metrics.update(logging_value=logged.value, logging_low=logged.low, logging_high=logged.high)
    for policy, values in (evaluation.comparison.truth or {}).items():
        for kind, value in values.items():
            metrics[f"{METRIC_NAMES.get(policy, policy)}_true_{kind}"] = value
    metrics["test_dr_value"] = evaluation.learnt["dr"].value  # what the gate judges
    return {k: float(v) for k, v in metrics.items() if not np.isnan(v)}


# run metrics' names of the compared policies
METRIC_NAMES = {
    LEARNT: "leadscore",
    LOGGING: "logging",
    "take-up value": "take_up_value",
    "popularity": "popularity",
    "random": "random",
    "oracle": "oracle",
}
