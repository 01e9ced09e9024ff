"""Honest evaluation of a conversion model on the test rows: metrics against the baselines
and, on synthetic data, against the ground truth; conversion per grade; SHAP values of a
sample for the summary plot."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from leadscore.evaluation.metrics import lift_at, probability_metrics
from leadscore.features.training_set import LABEL, FeatureTable
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.grades import GRADES, GradeBands
from leadscore.models.linear import LinearModel
from leadscore.models.propensity import PropensityModel
from leadscore.training.baselines import points_score
from leadscore.training.config import TrainingConfig
from leadscore.training.conversion import FittedConversion
from leadscore.training.rows import LocalRows
from leadscore.training.splits import Split

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
    # why this model rather than the other one is the one registered (``register``)
    choice: str = ""

    @property
    def label(self) -> str:
        """How tables name this model beside its baselines."""
        if self.model.algorithm == "lightgbm":
            return "leadscore"
        return f"leadscore ({self.model.algorithm.replace('_', ' ')})"

    @property
    def baseline_wins(self) -> list[str]:
        """Where another model beats this one on the test rows (see ``baseline_wins``)."""
        return baseline_wins(self.metrics, self.baselines, ALGORITHMS[self.model.algorithm])


def evaluate_conversion(
    rows: LocalRows,
    table: FeatureTable,
    encoder: FeatureEncoder,
    fitted: FittedConversion,
    config: TrainingConfig,
    truth: pd.DataFrame | None,
    *,
    logistic: LinearModel | None,
    rivals: dict[str, np.ndarray] | None = None,
) -> Evaluation:
    """Report on test against the baselines (the evaluation's ``timings``: this step's
    parts): the points score where the config has one, the ``logistic`` regression's own
    probabilities, and any ``rivals``' probabilities of the test rows."""
    frame, label, split = rows.frame, rows.label, rows.split
    test_matrix = rows.matrices.test
    features = table.feature_names
    model = fitted.model
    clock = time.perf_counter()
    test_margin = model.margin(test_matrix)
    test_probability = model.calibrator(test_margin)
    test_label = label[split.test]
    metrics = probability_metrics(test_label, test_probability)
    test = frame.iloc[split.test].reset_index(drop=True)
    test["probability"] = test_probability
    per_grade = grade_table(test_margin, test_probability, test_label, model.metadata)
    evaluate_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    baseline_scores = _baselines(rows, test, config, logistic) | (rivals or {})
    baselines = {
        name: _ranking_or_probability_metrics(test_label, values, name)
        for name, values in baseline_scores.items()
    }
    baselines_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    sample = np.random.default_rng(config.seed).permutation(len(split.test))[:SHAP_SAMPLE]
    shap_values = model.contributions(test_matrix[np.sort(sample)])
    shap_seconds = time.perf_counter() - clock

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
        calibration_losses=fitted.calibration_losses,
        best_iteration=fitted.best_iteration,
        training_rows=rows.training_rows,
        timings={
            "evaluate": evaluate_seconds,
            "baselines": baselines_seconds,
            "shap": shap_seconds,
        },
    )


ALGORITHMS = {"lightgbm": "LightGBM", "logistic_regression": "the logistic regression"}
# baselines whose scores are probabilities (the others rank)
_PROBABILITIES = ("logistic_regression", "lightgbm")

# metrics where more is better, and where less is
_HIGHER = ("roc_auc", "pr_auc", "lift_at_10pct")
_LOWER = ("log_loss", "brier", "ece")
# a baseline that wins on one of these should make its user think twice
DECISIVE = ("roc_auc", "log_loss")


def baseline_wins(
    metrics: dict[str, float],
    baselines: dict[str, dict[str, float]],
    model: str = "LightGBM",
) -> list[str]:
    """One line per baseline that beats the ``model`` on the test rows in ranking (AUC) or
    probability (log loss), naming every metric it wins on, with both figures."""
    lines = []
    for name, values in baselines.items():
        won = [m for m in _HIGHER if m in values and values[m] > metrics[m]]
        won += [m for m in _LOWER if m in values and values[m] < metrics[m]]
        if set(won) & set(DECISIVE):
            figures = ", ".join(f"{m} {values[m]:.4f} vs {metrics[m]:.4f}" for m in won)
            lines.append(f"{name} beats {model} on the test rows: {figures}")
    return lines


def simpler_not_worse(simpler: dict[str, float], lightgbm: dict[str, float]) -> bool:
    """Whether the simpler model ranks at least as well (AUC) and is at least as honest in
    its probabilities (log loss) on the same test rows: then LightGBM's extra complexity
    buys nothing here."""
    return simpler["roc_auc"] >= lightgbm["roc_auc"] and simpler["log_loss"] <= lightgbm["log_loss"]


def beats(model: dict[str, float], baseline: dict[str, float]) -> bool:
    """Whether a model beats a baseline on the same test rows: it ranks better (AUC), or
    its probabilities are better by both log loss and Brier. Short of that, the baseline
    ranks as well and is as good in probability by one of them, so it is the one to
    serve until a model does beat it."""
    better_probabilities = (
        model["log_loss"] < baseline["log_loss"] and model["brier"] < baseline["brier"]
    )
    return model["roc_auc"] > baseline["roc_auc"] or better_probabilities


def _baselines(
    rows: LocalRows, test: pd.DataFrame, config: TrainingConfig, logistic: LinearModel | None
) -> dict[str, np.ndarray]:
    """Points and logistic scores of the test rows (``test``: their features, taken once)."""
    scores = {}
    if config.rules_baseline.points:
        scores["rules_points"] = points_score(
            test,
            config.rules_baseline.points,
            config.rules_baseline.cap_per_rule,
        )
    if logistic is not None:
        scores["logistic_regression"] = logistic.probability(rows.matrices.test)
    return scores


def _ranking_or_probability_metrics(label: np.ndarray, values: np.ndarray, name: str) -> dict:
    if name in _PROBABILITIES:
        return probability_metrics(label, values)
    return {  # points are a ranking, not a probability
        "roc_auc": float(roc_auc_score(label, values)),
        "pr_auc": float(average_precision_score(label, values)),
        "lift_at_10pct": lift_at(label, values),
    }


def grade_table(
    margin: np.ndarray, probability: np.ndarray, label: np.ndarray, metadata: dict
) -> pd.DataFrame:
    """Per grade on these rows: where it begins, the share of leads it was configured to
    hold, held on the validation set and holds here, and how its leads convert (NaN
    where a grade is empty: no rate to give)."""
    bands = GradeBands.from_metadata(metadata)
    grades = bands.grades(margin, probability)
    shares = metadata.get("grade_shares", {})
    rows = []
    for g in GRADES:
        chosen = grades == g
        rows.append(
            {
                "grade": g,
                "min_score": bands.scores[g],
                "configured_share": shares.get("configured", {}).get(g, float("nan")),
                "validation_share": shares.get("validation", {}).get(g, float("nan")),
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
