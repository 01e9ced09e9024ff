"""The conversion job: from a source (or a built feature table) to a registered model,
on one machine or on Dask."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from leadscore import tracking
from leadscore.cluster import dask_client, partition_count
from leadscore.common.errors import InputError
from leadscore.evaluation.cards import conversion_card
from leadscore.evaluation.conversion import (
    Evaluation,
    beats,
    evaluate_conversion,
    simpler_not_worse,
)
from leadscore.evaluation.plots import close_figures, conversion_figures
from leadscore.features.on_dask import DaskFeatureTable, build_feature_table_dask, read_canonical
from leadscore.features.training_set import LABEL, FeatureTable
from leadscore.jobs.inputs import (
    TEST_TABLE,
    JobResult,
    creation_rows,
    feature_set_of,
    ground_truth,
    prepare_table,
)
from leadscore.jobs.tracked import lineage, log_and_register
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.encoding import FeatureEncoder
from leadscore.training.booster import FittedBooster, fit_booster
from leadscore.training.config import TrainingConfig
from leadscore.training.conversion import fit_conversion_model, fit_logistic_rows, local_rows
from leadscore.training.on_dask import fit_booster_dask
from leadscore.training.rows import LocalRows
from leadscore.training.split_check import SplitShortfall, creation_advice


def train_conversion(
    table: FeatureTable,
    config: TrainingConfig,
    truth: pd.DataFrame | None = None,
    *,
    first: bool = False,
) -> Evaluation:
    """Fit, calibrate and grade on train/validation; report on test against baselines.
    ``first``: the model will be the first of its name (champion at once, with no gate)."""
    clock = time.perf_counter()
    rows, encoder = local_rows(table, config)
    prepare_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    booster = fit_booster(rows.matrices, rows.label, rows.split, encoder, config)
    lightgbm_seconds = time.perf_counter() - clock
    evaluation = evaluate_and_choose(rows, table, encoder, booster, config, truth, first=first)
    fitting = {"prepare": prepare_seconds, "lightgbm": lightgbm_seconds}
    return dataclasses.replace(evaluation, timings={**fitting, **evaluation.timings})


def evaluate_and_choose(
    rows: LocalRows,
    table: FeatureTable,
    encoder: FeatureEncoder,
    booster: FittedBooster,
    config: TrainingConfig,
    truth: pd.DataFrame | None,
    *,
    first: bool = False,
) -> Evaluation:
    """Calibrate, grade and evaluate the booster against the baselines; then, where the
    config's ``algorithm`` allows it, the logistic regression as a model of its own, with
    LightGBM as its rival, and keep the one the config chooses. The evaluation's
    ``timings``: these steps' parts.

    ``first``: the model becomes champion with no gate to pass (the first of its name), so
    LightGBM is kept only if it beats the logistic regression; else the logistic regression
    is registered, and a later LightGBM takes over through the gate once it is better."""
    clock = time.perf_counter()
    logistic = fit_logistic_rows(rows, encoder, config)
    logistic_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    fitted = fit_conversion_model(rows, table, encoder, booster, config)
    fitting = {"logistic": logistic_seconds, "calibrate": time.perf_counter() - clock}
    evaluation = evaluate_conversion(
        rows, table, encoder, fitted, config, truth, logistic=logistic.core
    )
    if config.algorithm == "lightgbm" and not first:
        return dataclasses.replace(evaluation, timings={**fitting, **evaluation.timings})
    simpler = evaluate_conversion(
        rows,
        table,
        encoder,
        fit_conversion_model(rows, table, encoder, logistic, config),
        config,
        truth,
        logistic=None,
        rivals={"lightgbm": evaluation.test["probability"].to_numpy()},
    )
    # whichever model is kept, the parts of the evaluation that ran last are reported
    # (as when both evaluations wrote into one dict of timings)
    timings = {**fitting, **simpler.timings}
    evaluation = dataclasses.replace(evaluation, timings=timings)
    simpler = dataclasses.replace(simpler, timings=timings)
    ours, theirs = (
        f"AUC {m['roc_auc']:.4f}, log loss {m['log_loss']:.4f}, Brier {m['brier']:.4f}"
        for m in (simpler.metrics, evaluation.metrics)
    )
    if config.algorithm == "lightgbm":  # the first model of its name
        if beats(evaluation.metrics, simpler.metrics):
            return evaluation
        return dataclasses.replace(
            simpler,
            choice=f"The logistic regression is registered, not LightGBM: this is the first "
            f"model of {config.model_name}, so it becomes champion, and LightGBM does not "
            f"beat the logistic regression on the test rows (logistic regression {ours}; "
            f"LightGBM {theirs}).",
        )
    if config.algorithm == "logistic_regression":
        return dataclasses.replace(
            simpler,
            choice=f"The logistic regression is registered, as the config's algorithm asks "
            f"(test {ours}; LightGBM {theirs}).",
        )
    if simpler_not_worse(simpler.metrics, evaluation.metrics):
        return dataclasses.replace(
            simpler,
            choice=f"The logistic regression is registered: on the test rows it is no worse "
            f"than LightGBM ({ours}; LightGBM {theirs}), and it is the simpler model "
            "(algorithm: simpler_if_not_worse).",
        )
    return dataclasses.replace(
        evaluation,
        choice=f"LightGBM is registered: the logistic regression is worse on the test rows "
        f"({ours}; LightGBM {theirs}) (algorithm: simpler_if_not_worse).",
    )


def run_conversion(config: TrainingConfig, *, features_file: Path | None = None) -> JobResult:
    truth = ground_truth(config, "conversion")
    # the first model of a name becomes champion with no gate: it must beat the baselines
    first = tracking.aliases(config.model_name)[tracking.CHAMPION] is None
    if config.dask is not None:
        if features_file is not None:
            raise InputError("the Dask job builds its features itself; leave --features out")
        table, files, evaluation, timings = _conversion_on_dask(config, truth, first)
    else:
        clock = time.perf_counter()
        table, data, files = prepare_table(config, features_file)
        features_seconds = time.perf_counter() - clock
        clock = time.perf_counter()
        try:
            evaluation = train_conversion(table, config, truth, first=first)
        except SplitShortfall as short:
            if data is None or not short.snapshots:
                raise
            # the creation spine's labels are cheap to count: say whether it passes
            label, as_of = creation_rows(data, config)
            advice = creation_advice(label, as_of, config, horizon_days=config.horizon_days)
            raise InputError(short.message(advice)) from None
        timings = {
            "features": features_seconds,
            "train_evaluate": time.perf_counter() - clock,
        }

    clock = time.perf_counter()
    origin = lineage(files)
    figures = conversion_figures(evaluation)
    audit = "" if table.audit is None else table.audit.to_csv(index=False)
    run = log_and_register(
        config,
        ConversionPredictor(evaluation.model),
        kind="conversion",
        params=_params(config, table, evaluation),
        metrics=_metrics(evaluation),
        tags={
            "feature_set": table.feature_set.id,
            **origin,
            "split": evaluation.split.kind,
            **(
                {"baseline_wins": "; ".join(evaluation.baseline_wins)}
                if evaluation.baseline_wins
                else {}
            ),
        },
        figures=figures,
        texts={
            "model_card.md": conversion_card(evaluation, table, origin),
            "leakage_audit.csv": audit,
        },
        frames={TEST_TABLE: _test_table(evaluation, table)},
    )
    close_figures(figures)
    timings = {**timings, "track": time.perf_counter() - clock}
    return JobResult("conversion", evaluation, table, run, timings)


def _conversion_on_dask(
    config: TrainingConfig, truth: pd.DataFrame | None, first: bool
) -> tuple[DaskFeatureTable, list[Path], Evaluation, dict[str, float]]:
    """Features and the booster on the Dask cluster the config names (or a local one),
    and the seconds each step took."""
    assert config.dask is not None
    if config.spine == "exposures":
        raise InputError(
            "spine: exposures is not read on Dask yet: list the days offers were made as "
            "as_of dates in the training config"
        )
    feature_set = feature_set_of(config)
    tables = read_canonical(config.path(config.source))
    with dask_client(config.dask) as client:
        clock = time.perf_counter()
        table = build_feature_table_dask(
            tables,
            feature_set,
            partitions=partition_count(config.dask, client),
            horizon_days=config.horizon_days,
            spine_kind=config.spine,
            as_of=config.snapshot_dates or None,
            every_days=config.snapshot_every_days,
        )
        plan_seconds = time.perf_counter() - clock
        clock = time.perf_counter()
        # features are built as the booster's fit first needs them, on the cluster
        fit = fit_booster_dask(table, config, client)
        kept = set(fit.encoder.features)  # without the columns the audit found to be ids
        table = dataclasses.replace(
            table, audit=fit.audit, features=[f for f in table.features if f.name in kept]
        )
        evaluation = evaluate_and_choose(
            fit.rows, table, fit.encoder, fit.booster, config, truth, first=first
        )
        evaluation = dataclasses.replace(evaluation, timings={**fit.timings, **evaluation.timings})
        timings = {
            "plan": plan_seconds,
            "features_train_evaluate": time.perf_counter() - clock,
        }
    return table, list(tables.files), evaluation, timings


def _params(config: TrainingConfig, table: FeatureTable, evaluation: Evaluation) -> dict:
    params = {
        "engine": "pandas" if config.dask is None else "dask",
        "feature_set": table.feature_set.id,
        "horizon_days": table.horizon_days,
        "seed": config.seed,
        "split": config.split.kind,
        "algorithm": evaluation.model.algorithm,
        "algorithm_choice": config.algorithm,
        "calibration": evaluation.model.calibrator.kind,
        "best_iteration": evaluation.best_iteration,
        "grades": evaluation.model.metadata["grades"],
        "rows_train": evaluation.training_rows,
        "rows_validation": len(evaluation.split.validation),
        "rows_test": len(evaluation.split.test),
    }
    params.update({f"lgbm_{k}": v for k, v in config.lightgbm.model_dump().items()})
    return params


def _metrics(evaluation: Evaluation) -> dict[str, float]:
    metrics = {f"test_{k}": v for k, v in evaluation.metrics.items()}
    for name, values in evaluation.baselines.items():
        metrics.update({f"baseline_{name}_{k}": v for k, v in values.items()})
    for name, value in (evaluation.oracle or {}).items():
        metrics[f"oracle_{name}"] = value
    for row in evaluation.per_grade.itertuples():
        metrics[f"grade_{row.grade}_conversion_rate"] = row.conversion_rate
        metrics[f"grade_{row.grade}_share"] = row.share
    return metrics


def _test_table(evaluation: Evaluation, table: FeatureTable) -> pd.DataFrame:
    columns = ["customer_id", "as_of", *table.feature_names, LABEL]
    return evaluation.test[columns]
