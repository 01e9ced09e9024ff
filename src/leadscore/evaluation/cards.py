"""Model cards: one page per model that a data scientist or a sales lead can read."""

from __future__ import annotations

import pandas as pd

from leadscore.common.wording import share_percent
from leadscore.evaluation.conversion import Evaluation
from leadscore.evaluation.nbo import NBOEvaluation
from leadscore.evaluation.offer_policy import OfferEvaluation
from leadscore.features.training_set import FeatureTable
from leadscore.training.calibration import PRIOR_LEADS

METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "ece", "lift_at_10pct")


def conversion_card(evaluation: Evaluation, table: FeatureTable, lineage: dict[str, str]) -> str:
    m = evaluation.model.metadata
    losses = ", ".join(f"{k} {v:.4f}" for k, v in evaluation.calibration_losses.items())
    lines = [
        "# Model card: conversion",
        "",
        (
            f"Predicts whether a lead converts within {table.horizon_days} days of the "
            "scoring moment."
            if table.horizon_days
            else "Predicts whether a lead converts, as the export's conversion flag records "
            "it (one row per lead, scored as of its creation)."
        )
        + " Score (0-100) = the lead's percentile among the test leads (90: it ranks above"
        " nine in ten); the probability beside it is the calibrated probability of"
        " converting.",
        "",
        "## Data",
        "",
        f"- Feature set: `{table.feature_set.id}` ({len(table.features)} features)",
        f"- Source data hash: `{lineage.get('data_hash', '?')}`; "
        f"code: `{lineage.get('git_commit', '?')}`",
        f"- Split ({evaluation.split.kind}): "
        + "; ".join(f"{k}: {v}" for k, v in evaluation.split_ranges.items()),
        f"- Test conversion rate: {evaluation.metrics['positive_rate']:.2%}",
        f"- {_algorithm(evaluation)}; "
        f"calibration: {evaluation.model.calibrator.kind} "
        f"(validation log loss {losses}). Isotonic steps are shrunk towards the base rate "
        f"by {PRIOR_LEADS:.0f} leads' worth each, so that no probability near 0 or 1 rests "
        "on a handful of leads (a step of 200 leads without a conversion reads about 0.2 % "
        "at a 5 % base rate, not 0).",
        "",
        "## Test metrics against baselines",
        "",
        _metrics_table(evaluation),
        "",
    ]
    if evaluation.choice:
        lines += [evaluation.choice, ""]
    if evaluation.baseline_wins and evaluation.model.algorithm == "lightgbm":
        lines += [
            "**A simpler model wins.** "
            + "; ".join(evaluation.baseline_wins)
            + ". LightGBM is registered all the same; before promoting it, check whether its "
            "extra complexity earns its keep on this data (more rows, more behaviour "
            "features), or register the logistic regression (`algorithm: "
            "simpler_if_not_worse` in the training config).",
            "",
        ]
    elif evaluation.baseline_wins:
        lines += ["**Another model wins.** " + "; ".join(evaluation.baseline_wins) + ".", ""]
    if evaluation.oracle:
        o = evaluation.oracle
        lines += [
            "## Against the best achievable (synthetic data)",
            "",
            f"On {int(o['rows']):,} test rows with ground truth: oracle AUC {o['oracle_auc']:.4f}, "
            f"model AUC {o['model_auc_same_rows']:.4f}, gap {o['gap']:.4f}.",
            "",
        ]
    lines += [
        "## Grades",
        "",
        "Grades are bands of the score, so that each holds its configured share of the "
        "test leads (A: top share, D: the rest) and a score has one grade. How to read them: A "
        "leads convert several times more often than average; call them first. D leads "
        "need nurturing, not a sales call. Shares below: configured, held on the "
        "validation set, held on the test set.",
        "",
        evaluation.per_grade.assign(
            configured_share=lambda t: t["configured_share"].map(share_percent),
            validation_share=lambda t: t["validation_share"].map(share_percent),
            share=lambda t: t["share"].map(share_percent),
            conversion_rate=lambda t: t["conversion_rate"].map(share_percent),
            mean_probability=lambda t: t["mean_probability"].map(share_percent),
        ).pipe(markdown_table),
        "",
        "## Leakage audit",
        "",
        _audit(table),
        "",
        "## Grade bands",
        "",
        markdown_table(
            pd.DataFrame(
                {
                    "grade": list(m["grades"]),
                    "minimum score": list(m["grades"].values()),
                    "minimum margin": [
                        "-"
                        if (m.get("grade_margins") or {}).get(g) is None
                        else f"{m['grade_margins'][g]:.4f}"
                        for g in m["grades"]
                    ],
                }
            )
        ),
    ]
    return "\n".join(lines) + "\n"


def nbo_card(evaluation: NBOEvaluation, table: FeatureTable) -> str:
    rankings = pd.DataFrame(evaluation.rankings).T.reset_index(names="ranking")
    return "\n".join(
        [
            "# Model card: next-best offer",
            "",
            f"Feature set `{table.feature_set.id}`; "
            + (
                "one calibrated LightGBM over (lead, offer) pairs, the offer a feature"
                if evaluation.model.pooled is not None
                else "one calibrated LightGBM per offer"
            )
            + "; offers ranked by expected value (propensity x value) among eligible offers.",
            "",
            "Split: " + "; ".join(f"{k}: {v}" for k, v in evaluation.split_ranges.items()),
            "",
            "## Ranking quality on the test set",
            "",
            markdown_table(rankings.round(4)),
            "",
            "## Offers",
            "",
            markdown_table(evaluation.per_offer.round(4)),
            "",
        ]
    )


def offer_response_card(evaluation: OfferEvaluation, feature_set_id: str) -> str:
    """The card of a next-best-offer model learnt from offers made."""
    comparison = evaluation.comparison
    policies = comparison.table()
    shown = policies.map(lambda v: "-" if isinstance(v, float) and pd.isna(v) else v)
    learnt = evaluation.learnt["dr"]
    truth = (
        ""
        if comparison.truth is None
        else " On synthetic data the ground truth gives each policy's true value on the same "
        "customers and moments (`true_*`: take-up value, and incremental value over making "
        "no offer)."
    )
    return "\n".join(
        [
            "# Model card: next-best offer, learnt from offers made",
            "",
            f"Feature set `{feature_set_id}`. Each offer made is a training row at its own "
            "moment, labelled by whether it was taken up within the offer's validity; "
            "customers not offered anything at the same moments give the chance of doing "
            "the same anyway. Offers rank by expected incremental value, "
            "(P(take-up | made) - P(take-up | not made)) x value - cost, and no offer is "
            "made where none adds value. Reasons are the exact TreeSHAP values of what "
            "making the offer adds on the margin.",
            "",
            f"Learner: {evaluation.chosen.why}.",
            "",
            f"Offers made whose window was still open when the data ends (left out): "
            f"{evaluation.still_open:,}. Logging propensities: "
            f"{comparison.propensity_source}.",
            "",
            "## Policies on the test period's offers made",
            "",
            f"Doubly robust value per offer made of leadscore's choices: {learnt.value:,.2f} "
            f"(95 % interval {learnt.low:,.2f} to {learnt.high:,.2f}, {learnt.rows:,} offers "
            "made). Replay: the mean reward where the policy chose what was made; IPS and "
            "SNIPS reweight the rewards by the policy's over the logging policy's "
            "probability; DR adds the response model's estimate for what was not made. "
            "Intervals: 95 % bootstrap." + truth,
            "",
            markdown_table(shown.round(3)),
            "",
            "## Offers",
            "",
            markdown_table(evaluation.per_offer.round(4)),
            "",
        ]
    )


def _algorithm(evaluation: Evaluation) -> str:
    if evaluation.model.algorithm == "lightgbm":
        return (
            f"LightGBM: {evaluation.best_iteration} trees (early stopping on validation log loss)"
        )
    return (
        "Logistic regression (L2; numbers as signed log1p, standardised, with a flag where "
        "missing; one-hot categories): its reasons are exact Shapley values of its additive "
        "margin, each feature's term less its mean on the training rows"
    )


def _metrics_table(evaluation: Evaluation) -> str:
    rows = {evaluation.label: evaluation.metrics, **evaluation.baselines}
    frame = pd.DataFrame(
        {name: {k: values.get(k) for k in METRICS} for name, values in rows.items()}
    ).T
    shown = frame.map(lambda v: "-" if v is None or pd.isna(v) else f"{v:.4f}")
    return markdown_table(shown.reset_index(names="model"))


def _audit(table: FeatureTable) -> str:
    audit = table.audit
    if audit is None or audit.empty:
        return "No audit (no labels)."
    flagged = audit[audit["flagged"]]
    head = (
        audit.head(8) if flagged.empty else pd.concat([flagged, audit[~audit["flagged"]].head(3)])
    )
    return markdown_table(head[["field", "kind", "single_feature_auc", "action"]])


def markdown_table(frame: pd.DataFrame) -> str:
    """A Markdown table; counts held as floats (1500.0) are written as whole numbers."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values) and _whole(values):
            shown[column] = values.map(lambda v: "-" if pd.isna(v) else f"{int(v):,}")
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _whole(values: pd.Series) -> bool:
    present = values.dropna()
    return (
        bool(len(present))
        and bool((present == present.round()).all())
        and bool((present.abs() >= 1).any())
    )
