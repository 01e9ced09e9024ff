"""Figures for a training run: people would rather look than read.

Figures are made without pyplot (no backend, no display, nothing global), except the
SHAP summary, which SHAP draws through pyplot; ``close_figures`` releases that one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_auc_score, roc_curve

from leadscore.evaluation.conversion import Evaluation
from leadscore.features.training_set import LABEL


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot()


def conversion_figures(evaluation: Evaluation) -> dict[str, Figure]:
    label = evaluation.test[LABEL].to_numpy(dtype=bool)
    probability = evaluation.test["probability"].to_numpy()
    scores = {"leadscore": probability, **evaluation.baseline_scores}
    return {
        "roc.png": _roc(label, scores),
        "calibration.png": _calibration(label, probability),
        "cumulative_gains.png": _gains(label, scores),
        "conversion_per_grade.png": _per_grade(evaluation),
        "shap_summary.png": _shap(evaluation),
    }


def _roc(label: np.ndarray, scores: dict[str, np.ndarray]) -> Figure:
    figure, axes = _figure(5.5, 5)
    for name, values in scores.items():
        fpr, tpr, _ = roc_curve(label, values)
        axes.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(label, values):.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC on the test set")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def _calibration(label: np.ndarray, probability: np.ndarray) -> Figure:
    observed, predicted = calibration_curve(label, probability, n_bins=10, strategy="quantile")
    figure, axes = _figure(5.5, 5)
    axes.plot(predicted, observed, marker="o", label="leadscore")
    top = max(predicted.max(), observed.max()) * 1.05
    axes.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect")
    axes.set(
        xlabel="predicted probability",
        ylabel="observed conversion rate",
        title="Calibration (test set, deciles)",
    )
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _gains(label: np.ndarray, scores: dict[str, np.ndarray]) -> Figure:
    figure, axes = _figure(5.5, 5)
    share = np.arange(1, len(label) + 1) / len(label)
    for name, values in scores.items():
        found = np.cumsum(label[np.argsort(-values, kind="stable")]) / max(label.sum(), 1)
        axes.plot(share, found, label=name)
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    axes.set(
        xlabel="share of leads contacted (best first)",
        ylabel="share of conversions found",
        title="Cumulative gains",
    )
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def _per_grade(evaluation: Evaluation) -> Figure:
    table = evaluation.per_grade
    figure, axes = _figure(5.5, 4)
    bars = axes.bar(table["grade"], table["conversion_rate"] * 100, color="#3b6ea8")
    for bar, (_, row) in zip(bars, table.iterrows(), strict=True):
        axes.annotate(
            f"{row['leads']:,} leads",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    axes.set(xlabel="grade", ylabel="conversion rate (%)", title="Conversion per grade (test set)")
    figure.tight_layout()
    return figure


def _shap(evaluation: Evaluation) -> Figure:
    import shap  # seconds to import: loaded only when the summary is drawn

    features = evaluation.model.features
    values = evaluation.shap_values[:, :-1]  # last column: base value
    shown = evaluation.model.encoder.matrix(evaluation.shap_rows)
    plt.figure(figsize=(7, 6))
    shap.summary_plot(values, shown, feature_names=features, max_display=15, show=False)
    figure = plt.gcf()
    figure.suptitle("What drives the score (SHAP, test sample)")
    figure.tight_layout()
    return figure


def close_figures(figures: dict[str, Figure]) -> None:
    """Release figures once written: pyplot keeps every figure until it is closed."""
    for figure in figures.values():
        plt.close(figure)
