"""The conversion model trained on Dask: ``lightgbm.dask`` on the training rows where they lie.

Only the booster's fit differs from the single-machine job. The training rows stay on the
cluster; validation and test rows (the latest moments, a small share) and a sample of the
training rows for the logistic baseline come to this process, where calibration, grades,
metrics, baselines, plots and tracking run exactly as in :mod:`leadscore.training.booster`.

``lightgbm.dask`` has no early stopping (LightGBM issues #3712 and #6351: it hangs or
fails when workers stop at different rounds). The job therefore trains
``num_boost_round`` rounds, computes the validation log loss after every round here, and
keeps the round that early stopping with the configured patience would have kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.features.audit import DEFAULT_SUSPICIOUS_AUC, id_features, leakage_audit
from leadscore.features.on_dask import DaskFeatureTable
from leadscore.features.training_set import LABEL
from leadscore.models.encoding import FeatureEncoder
from leadscore.training.booster import FittedBooster, PartMatrices
from leadscore.training.config import TrainingConfig
from leadscore.training.rows import LocalRows, check_enough_data
from leadscore.training.split_check import check_moments
from leadscore.training.splits import PARTS, Split, TimeBoundaries, check_parts, time_boundaries

TREES_PER_BLOCK = 100
T = TypeVar("T")


@dataclass(frozen=True)
class FittedOnDask:
    """What a fit on the cluster brings back: the rows that come here for calibration and
    evaluation, their encoder, the booster cut by early stopping, the leakage audit of
    the rows here, and the seconds each step took (prepare, lightgbm)."""

    rows: LocalRows
    encoder: FeatureEncoder
    booster: FittedBooster
    audit: pd.DataFrame
    timings: dict[str, float]


def fit_booster_dask(
    table: DaskFeatureTable, config: TrainingConfig, client: object
) -> FittedOnDask:
    """Fit with ``DaskLGBMClassifier`` on the cluster (see ``FittedOnDask``)."""
    import dask  # the optional Dask engine loads only when a job runs on it

    if config.split.kind != "time":
        raise InputError(
            "the Dask job splits by time only; a stratified split is for comparing with "
            "published figures on one machine (drop 'dask' from the config)"
        )
    clock = time.perf_counter()
    frame = client.persist(table.frame)  # type: ignore[attr-defined]
    per_moment = frame.groupby("as_of")[LABEL].agg(["count", "sum"]).compute().sort_index()
    per_moment.columns = ["rows", "positives"]
    # each part's counts, from these: an error with them and what passes where one is short
    check_moments(
        per_moment,
        config,
        horizon_days=table.horizon_days or 0,
        snapshots=table.plan.dates is not None,
    )
    bounds = time_boundaries(
        per_moment.index.to_series(),
        per_moment["rows"].to_numpy(),
        validation=config.split.validation,
        test=config.split.test,
        horizon_days=table.horizon_days or 0,
        test_from=config.split.test_start,
    )
    train = frame[bounds.masks(frame["as_of"])["train"]]
    training_rows, positives = (
        int(n) for n in dask.compute(train[LABEL].count(), train[LABEL].sum())
    )
    rows, split, ranges = _local_rows(frame, train, bounds, training_rows, config)
    label = rows[LABEL].to_numpy(dtype=bool)
    check_enough_data(label[split.validation], config, "validation")
    audit = leakage_audit(
        rows,
        table.feature_names,
        label,
        suspicious_auc=DEFAULT_SUSPICIOUS_AUC,
        recorded=[f.name for f in table.features if f.definition is None],
    )
    # columns the audit finds to be ids are left out, as the single-machine table does
    ids = set(id_features(audit))
    encoder = FeatureEncoder.fit(rows, [f for f in table.feature_names if f not in ids])
    local = LocalRows(
        rows, label, PartMatrices.encode(encoder, rows, split), split, ranges, training_rows
    )
    prepare_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    booster = fit_dask_booster(
        train, encoder, config, client, positives=positives, training_rows=training_rows
    )
    fitted = stop_early(
        booster,
        local.matrices.validation,
        local.label[local.split.validation],
        patience=config.lightgbm.early_stopping_rounds,
    )
    timings = {"prepare": prepare_seconds, "lightgbm": time.perf_counter() - clock}
    return FittedOnDask(local, encoder, fitted, audit, timings)


def _local_rows(
    frame: object, train: object, bounds: TimeBoundaries, training_rows: int, config: TrainingConfig
) -> tuple[pd.DataFrame, Split, dict[str, str]]:
    """Validation and test rows in full, and a sample of training rows for the baselines
    and the leakage audit; the split over them and the parts' date ranges."""
    import dask  # the optional Dask engine loads only when a job runs on it

    share = min(1.0, config.logistic_max_rows / max(training_rows, 1))
    later = frame[frame["as_of"] >= bounds.validation_start]  # type: ignore[index]
    sample, rest = dask.compute(
        train.sample(frac=share, random_state=config.seed),  # type: ignore[attr-defined]
        later,
    )
    rows = pd.concat([sample, rest], ignore_index=True)
    rows = rows.sort_values(["as_of", "customer_id"], kind="stable", ignore_index=True)
    masks = bounds.masks(rows["as_of"])
    split = Split(*(np.flatnonzero(masks[p].to_numpy()) for p in PARTS), "time")
    check_parts(split)
    ranges = split.describe(rows["as_of"])
    ranges["train"] = ranges["train"].split(" (")[0] + f" ({training_rows:,} rows)"
    return rows, split, ranges


def fit_dask_booster(
    train: object,
    encoder: FeatureEncoder,
    config: TrainingConfig,
    client: object,
    *,
    positives: int,
    training_rows: int,
) -> lgb.Booster:
    """``num_boost_round`` rounds of ``DaskLGBMClassifier`` with the job's parameters."""
    from lightgbm.dask import (
        DaskLGBMClassifier,  # the optional Dask engine loads only when a job runs on it
    )

    params = config.lightgbm.params(
        seed=config.seed, positives=positives, negatives=training_rows - positives
    )
    # each worker trains with its own threads; the single-machine thread count is for
    # byte-reproducible local models
    params.pop("num_threads")
    matrix = train.map_partitions(  # type: ignore[attr-defined]
        encoded_frame,
        encoder,
        meta=encoded_frame(train._meta, encoder),  # type: ignore[attr-defined]
    )
    label = train[LABEL].astype("int8")  # type: ignore[index]
    model = DaskLGBMClassifier(
        client=client, n_estimators=config.lightgbm.num_boost_round, **params
    )
    model.fit(matrix, label, categorical_feature=encoder.categorical_index)
    return model.booster_


def encoded_frame(frame: pd.DataFrame, encoder: FeatureEncoder) -> pd.DataFrame:
    """LightGBM's float matrix of one partition, with the feature names as columns."""
    matrix = encoder.matrix(frame)
    return pd.DataFrame(matrix, columns=encoder.lightgbm_names, index=frame.index)


def stop_early(
    booster: lgb.Booster, matrix: np.ndarray, label: np.ndarray, *, patience: int
) -> FittedBooster:
    """The booster cut at the round early stopping would keep, and its validation margin.

    Rounds are scored one after another and the pass ends where early stopping would
    have ended training: only the best round's margin is held, not one per round.
    """
    best, margin = best_round(validation_rounds(booster, matrix, label), patience)
    kept = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    return FittedBooster(kept, margin, best)


def validation_rounds(
    booster: lgb.Booster, matrix: np.ndarray, label: np.ndarray
) -> Iterator[tuple[float, np.ndarray]]:
    """Log loss and raw margin after each round, lazily.

    Leaf indices a block of trees at a time, summed up tree by tree: one pass over the
    rows per block instead of one prediction per round.
    """
    values = leaf_values(booster)
    margin = np.zeros(len(matrix))
    total = booster.num_trees()
    for start in range(0, total, TREES_PER_BLOCK):
        count = min(TREES_PER_BLOCK, total - start)
        leaves = booster.predict(
            matrix, pred_leaf=True, start_iteration=start, num_iteration=count
        ).reshape(len(matrix), count)
        for j in range(count):
            margin = margin + values[start + j][leaves[:, j]]  # a new array: safe to keep
            yield _log_loss(label, margin), margin


def leaf_values(booster: lgb.Booster) -> list[np.ndarray]:
    """Each tree's leaf outputs, indexed by leaf number."""
    out = []
    for tree in booster.dump_model()["tree_info"]:
        found: dict[int, float] = {}
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "leaf_value" in node:
                found[int(node.get("leaf_index", 0))] = float(node["leaf_value"])
            else:
                stack.extend((node["left_child"], node["right_child"]))
        values = np.zeros(max(found) + 1)
        values[list(found)] = list(found.values())
        out.append(values)
    return out


def _log_loss(label: np.ndarray, margin: np.ndarray) -> float:
    # log(1 + exp(-m)) for positives, log(1 + exp(m)) for negatives, without overflow
    signed = np.where(label, margin, -margin)
    return float(np.mean(np.logaddexp(0.0, -signed)))


def best_round(rounds: Iterable[tuple[float, T]], patience: int) -> tuple[int, T | None]:
    """The 1-based round LightGBM's early stopping keeps, and what came with its loss: the
    best so far when ``patience`` rounds in a row have not improved on it, or the best of
    all rounds. Stops reading ``rounds`` there."""
    best, best_loss, kept = 0, math.inf, None
    for i, (loss, item) in enumerate(rounds, start=1):
        if loss < best_loss:
            best, best_loss, kept = i, loss, item
        elif i - best >= patience:
            break
    return best, kept
