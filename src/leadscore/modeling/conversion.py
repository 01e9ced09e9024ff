"""Training and honest evaluation of the conversion model."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from leadscore.errors import InputError
from leadscore.features.training_set import LABEL, FeatureTable
from leadscore.modeling.baselines import fit_logistic, points_score, predict_logistic
from leadscore.modeling.calibration import GRADES, fit_calibrator, grade, grade_thresholds, score
from leadscore.modeling.config import TrainingConfig
from leadscore.modeling.metrics import lift_at, probability_metrics
from leadscore.modeling.propensity import FeatureEncoder, PropensityModel
from leadscore.modeling.splits import PARTS, Split, stratified_split, time_split

SHAP_SAMPLE = 500


@dataclass
class Evaluation:
    """Everything a data scientist needs to judge one trained model."""

    model: PropensityModel
    split: Split
    split_ranges: dict[str, str]
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    oracle: dict[str, float] | None
    per_grade: pd.DataFrame
    test: pd.DataFrame  # test rows: ids, features, label, model probability
    baseline_scores: dict[str, np.ndarray]
    shap_values: np.ndarray
    shap_rows: pd.DataFrame
    calibration_losses: dict[str, float]
    best_iteration: int
    training_rows: int
    timings: dict[str, float] = field(default_factory=dict)


def self_description(table: FeatureTable) -> dict:
    """What a model needs to explain itself and to build its features from raw records."""
    return {
        "descriptions": {
            f.name: {**f.description.as_metadata(), "window": f.window} for f in table.features
        },
        "feature_set_definition": table.feature_set.model_dump(mode="json"),
    }


def make_split(table: FeatureTable, config: TrainingConfig) -> Split:
    frame = table.frame
    if config.split.kind == "stratified":
        return stratified_split(
            frame[LABEL].to_numpy(),
            validation=config.split.validation,
            test=config.split.test,
            seed=config.seed,
        )
    return time_split(
        frame["as_of"],
        validation=config.split.validation,
        test=config.split.test,
        horizon_days=table.horizon_days or 0,
    )


def check_enough_data(label: np.ndarray, config: TrainingConfig, part: str = "training") -> None:
    check_counts(int(label.sum()), int((~label).sum()), config, part)


def check_counts(
    positives: int, negatives: int, config: TrainingConfig, part: str = "training"
) -> None:
    missing = []
    if positives < config.min_positives:
        missing.append(f"{positives} positives (need {config.min_positives})")
    if negatives < config.min_negatives:
        missing.append(f"{negatives} negatives (need {config.min_negatives})")
    if missing:
        raise InputError(
            f"not enough data to train: the {part} period has {' and '.join(missing)}. "
            "Add history, lengthen --horizon-days, or lower min_positives in the config."
        )


def validation_margin(booster: lgb.Booster, validation: np.ndarray) -> np.ndarray:
    """Raw validation scores at the best round, mostly from LightGBM's own bookkeeping
    (``booster`` must still hold its validation set: ``keep_training_booster``).

    LightGBM scores the validation set incrementally while it trains (for early
    stopping). Its scores after the last round, less the few trees grown after the best
    round, are the best round's scores: that costs a prediction of those trees instead of
    all of them, and nothing per round.
    """
    final: list[np.ndarray] = []

    def keep(predictions: np.ndarray, _data: lgb.Dataset) -> tuple[str, float, bool]:
        final.append(np.array(predictions, dtype=np.float64))
        return "kept", 0.0, False

    booster.eval_valid(feval=keep)
    p = np.clip(final[0], 1e-300, 1 - 1e-16)
    margin = np.log(p) - np.log1p(-p)  # LightGBM hands out probabilities
    best, grown = booster.best_iteration, booster.current_iteration()
    if 0 < best < grown:
        margin -= booster.predict(
            validation, raw_score=True, start_iteration=best, num_iteration=grown - best
        )
    return margin


@dataclass(frozen=True)
class PartMatrices:
    """LightGBM's float matrix of each part of a split."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    @classmethod
    def encode(cls, encoder: FeatureEncoder, frame: pd.DataFrame, split: Split) -> PartMatrices:
        """Each part encoded straight from the table: no matrix of all rows to slice, which
        on large tables costs as much in fresh memory as the encoding itself."""
        return cls(*(encoder.matrix(frame, rows=getattr(split, p)) for p in PARTS))

    @classmethod
    def of(cls, matrix: np.ndarray, split: Split) -> PartMatrices:
        return cls(*(matrix[getattr(split, p)] for p in PARTS))


@dataclass
class FittedBooster:
    booster: lgb.Booster
    validation_margin: np.ndarray  # at the best iteration, from training itself
    best_iteration: int


def lightgbm_inputs(
    matrices: PartMatrices,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    config: TrainingConfig,
) -> tuple[dict, lgb.Dataset, lgb.Dataset]:
    """LightGBM's parameters and its training and validation datasets for a split."""
    train_label = label[split.train]
    params = config.lightgbm.params(
        seed=config.seed, positives=int(train_label.sum()), negatives=int((~train_label).sum())
    )
    common = {"feature_name": encoder.features, "categorical_feature": encoder.categorical_index}
    train = lgb.Dataset(matrices.train, train_label, **common, params={"verbosity": -1})
    valid = lgb.Dataset(matrices.validation, label[split.validation], reference=train, **common)
    return params, train, valid


def fit_booster(
    matrices: PartMatrices,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    config: TrainingConfig,
) -> FittedBooster:
    params, train, valid = lightgbm_inputs(matrices, label, split, encoder, config)
    booster = lgb.train(
        params,
        train,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid],
        valid_names=["validation"],
        callbacks=[
            lgb.early_stopping(
                config.lightgbm.early_stopping_rounds, first_metric_only=True, verbose=False
            ),
        ],
        keep_training_booster=True,  # its validation scores are read below
    )
    margin = validation_margin(booster, matrices.validation)
    # what lgb.train does without keep_training_booster: drop the training data
    booster.model_from_string(booster.model_to_string()).free_dataset()
    return FittedBooster(booster, margin, booster.best_iteration)


def train_conversion(
    table: FeatureTable, config: TrainingConfig, truth: pd.DataFrame | None = None
) -> Evaluation:
    """Fit, calibrate and grade on train/validation; report on test against baselines."""
    clock = time.perf_counter()
    frame, features = table.frame, table.feature_names
    label = frame[LABEL].to_numpy(dtype=bool)
    split = make_split(table, config)
    check_enough_data(label[split.train], config)
    check_enough_data(label[split.validation], config, "validation")
    encoder = FeatureEncoder.fit(frame, features)
    matrices = PartMatrices.encode(encoder, frame, split)
    timings = {"prepare": time.perf_counter() - clock}

    clock = time.perf_counter()
    fitted = fit_booster(matrices, label, split, encoder, config)
    timings["lightgbm"] = time.perf_counter() - clock
    return evaluate_conversion(
        LocalRows(frame, label, matrices, split, split.describe(frame["as_of"]), len(split.train)),
        table,
        encoder,
        fitted,
        config,
        truth,
        timings,
    )


@dataclass(frozen=True)
class LocalRows:
    """The rows evaluation reads, in memory: validation and test in full, and the training
    rows the logistic baseline learns from (all of them, or a sample of a Dask table)."""

    frame: pd.DataFrame
    label: np.ndarray
    matrices: PartMatrices
    split: Split
    split_ranges: dict[str, str]
    training_rows: int  # rows the booster learnt from, which a sample may not show


def evaluate_conversion(
    rows: LocalRows,
    table: FeatureTable,
    encoder: FeatureEncoder,
    fitted: FittedBooster,
    config: TrainingConfig,
    truth: pd.DataFrame | None,
    timings: dict[str, float],
) -> Evaluation:
    """Calibrate and grade on validation; report on test against the baselines.

    Shared by the single-machine job and the Dask job, which differ only in how the
    booster is fitted and which training rows the baselines see.
    """
    frame, label, split = rows.frame, rows.label, rows.split
    test_matrix = rows.matrices.test
    features = table.feature_names
    booster, valid_margin = fitted.booster, fitted.validation_margin
    clock = time.perf_counter()
    calibrator, losses = fit_calibrator(valid_margin, label[split.validation], config.calibration)
    valid_probability = calibrator(valid_margin)
    bands = grade_thresholds(valid_probability, config.grades.model_dump())
    model = PropensityModel(
        booster,
        encoder,
        calibrator,
        {
            "kind": "conversion",
            "feature_set": table.feature_set.id,
            "horizon_days": table.horizon_days,
            "grades": bands,
            "best_iteration": fitted.best_iteration,
            **self_description(table),
        },
    )
    test_probability = model.probability(test_matrix)
    test_label = label[split.test]
    metrics = probability_metrics(test_label, test_probability)
    test = frame.iloc[split.test].reset_index(drop=True)
    test["probability"] = test_probability
    per_grade = grade_table(test_probability, test_label, bands)
    timings["calibrate_evaluate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    baseline_scores = _baselines(rows, test, encoder, config)
    baselines = {
        name: _ranking_or_probability_metrics(test_label, values, name)
        for name, values in baseline_scores.items()
    }
    timings["baselines"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sample = np.random.default_rng(config.seed).permutation(len(split.test))[:SHAP_SAMPLE]
    shap_values = model.contributions(test_matrix[np.sort(sample)])
    timings["shap"] = time.perf_counter() - clock

    return Evaluation(
        model=model,
        split=split,
        split_ranges=rows.split_ranges,
        metrics=metrics,
        baselines=baselines,
        oracle=oracle_comparison(test, truth),
        per_grade=per_grade,
        test=test,
        baseline_scores=baseline_scores,
        shap_values=shap_values,
        shap_rows=test.iloc[np.sort(sample)][features].reset_index(drop=True),
        calibration_losses=losses,
        best_iteration=fitted.best_iteration,
        training_rows=rows.training_rows,
        timings=timings,
    )


def _baselines(
    rows: LocalRows, test: pd.DataFrame, encoder: FeatureEncoder, config: TrainingConfig
) -> dict[str, np.ndarray]:
    """Points and logistic scores of the test rows (``test``: their features, taken once)."""
    split = rows.split
    scores = {}
    if config.rules_baseline.points:
        scores["rules_points"] = points_score(
            test,
            config.rules_baseline.points,
            config.rules_baseline.cap_per_rule,
        )
    # plenty for a linear model; keeps the job's time in check
    chosen = np.arange(len(split.train))
    if len(chosen) > config.logistic_max_rows:
        rng = np.random.default_rng(config.seed)
        chosen = np.sort(rng.choice(len(chosen), config.logistic_max_rows, replace=False))
    logistic = fit_logistic(
        rows.matrices.train[chosen], rows.label[split.train[chosen]], encoder.categorical_index
    )
    scores["logistic_regression"] = predict_logistic(logistic, rows.matrices.test)
    return scores


def _ranking_or_probability_metrics(label: np.ndarray, values: np.ndarray, name: str) -> dict:
    if name == "logistic_regression":
        return probability_metrics(label, values)
    return {  # points are a ranking, not a probability
        "roc_auc": float(roc_auc_score(label, values)),
        "pr_auc": float(average_precision_score(label, values)),
        "lift_at_10pct": lift_at(label, values),
    }


def grade_table(probability: np.ndarray, label: np.ndarray, bands: dict[str, int]) -> pd.DataFrame:
    grades = grade(score(probability), bands)
    rows = []
    for g in GRADES:
        chosen = grades == g
        rows.append(
            {
                "grade": g,
                "min_score": bands[g],
                "leads": int(chosen.sum()),
                "share": float(chosen.mean()),
                "conversions": int(label[chosen].sum()),
                "conversion_rate": float(label[chosen].mean()) if chosen.any() else float("nan"),
                "mean_probability": float(probability[chosen].mean())
                if chosen.any()
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def oracle_comparison(test: pd.DataFrame, truth: pd.DataFrame | None) -> dict[str, float] | None:
    """On synthetic data: the true probability's AUC on the same test rows, and the gap."""
    if truth is None:
        return None
    keyed = test[["customer_id", "as_of", LABEL, "probability"]].astype({"customer_id": "str"})
    joined = keyed.merge(truth, on=["customer_id", "as_of"], how="inner")
    if joined.empty or joined[LABEL].nunique() < 2:
        return None
    model_auc = roc_auc_score(joined[LABEL], joined["probability"])
    oracle_auc = roc_auc_score(joined[LABEL], joined["true_probability"])
    return {
        "rows": float(len(joined)),
        "oracle_auc": float(oracle_auc),
        "model_auc_same_rows": float(model_auc),
        "gap": float(oracle_auc - model_auc),
    }
