"""Real data: the whole path on the public data sets in ../shared/data, with the figures
docs/benchmarks.md reports. Needs the data (not part of this repository).

- Bank marketing (Moro et al. 2014), without `duration`: AUC on a stratified 80/20 split
  (how the literature reports it; target > 0.80) and on the time-ordered last 10%.
- Olist marketing funnel: lead-to-deal AUC, as of first contact, deal within 30 days.
Each also prints the leakage audit's findings, the logistic baseline and the grades'
configured shares against those they held on the validation and test rows.

    .venv/bin/python benchmarks/bench_real_data.py [--dataset bank|olist]
        [--algorithm lightgbm|simpler_if_not_worse|logistic_regression]

After each evaluation, three test leads are scored and explained in German with the
same Scorer the service uses: the whole path, on real data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import resolve_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import LABEL, build_feature_table
from leadscore.jobs.conversion import train_conversion
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.scorer import Scorer
from leadscore.training.config import SplitConfig, load_training_config

REPO = Path(__file__).resolve().parents[1]


def evaluate(config_name: str, splits: dict[str, SplitConfig], algorithm: str | None) -> None:
    config = load_training_config(REPO / "training" / "configs" / config_name)
    source = resolve_source(config.path(config.source))
    data = require_loaded(load_source(source))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    table = build_feature_table(
        data, feature_set, horizon_days=config.horizon_days, spine_kind=config.spine
    )
    flagged = table.audit[table.audit["flagged"]]
    print(
        f"\n{source.name}: {len(table.frame):,} rows, {table.frame[LABEL].mean():.2%} positive, "
        f"{len(table.features)} features"
    )
    print(
        "  leakage audit flagged: "
        + (
            ", ".join(
                f"{r.field} ({r.kind}, AUC {r.single_feature_auc:.3f})"
                for r in flagged.itertuples()
            )
            or "nothing"
        )
    )
    for name, split in splits.items():
        chosen = config.model_copy(
            update={"split": split, "algorithm": algorithm or config.algorithm}
        )
        evaluation = train_conversion(table, chosen)
        m = evaluation.metrics
        other, rival = next(
            (n, evaluation.baselines[n])
            for n in ("logistic_regression", "lightgbm")
            if n in evaluation.baselines
        )
        print(
            f"  {name:<34} {evaluation.model.algorithm}: AUC {m['roc_auc']:.4f}  "
            f"PR AUC {m['pr_auc']:.4f}  log loss {m['log_loss']:.4f}  ECE {m['ece']:.4f}  "
            f"test positives {m['positive_rate']:.1%}  ({other} AUC {rival['roc_auc']:.4f}, "
            f"log loss {rival['log_loss']:.4f})"
        )
        if evaluation.choice:
            print(f"    {evaluation.choice}")
        print("    " + grade_shares(evaluation.per_grade))
    explain(evaluation)


def grade_shares(per_grade) -> str:
    """Each grade's configured share against the shares held on validation and test."""

    def shares(column: str) -> str:
        return "/".join(f"{v * 100:.1f}" for v in per_grade[column])

    rates = "/".join("-" if r != r else f"{r * 100:.1f}" for r in per_grade["conversion_rate"])
    return (
        f"grades A/B/C/D: configured {shares('configured_share')} %, validation "
        f"{shares('validation_share')} %, test {shares('share')} %; convert {rates} %"
    )


def explain(evaluation) -> None:
    """Three test leads, scored and explained in German by the service's Scorer."""
    scorer = Scorer.serving(ConversionPredictor(evaluation.model))
    ranked = evaluation.test.sort_values("probability", ascending=False)
    rows = ranked.iloc[[0, len(ranked) // 2, len(ranked) - 1]].reset_index(drop=True)
    for result in scorer.pure.score_frame(rows, lang="de", top_k=3):
        reasons = "; ".join(r["text"] for r in result["reasons"])
        lead = f"{result['customer_id']}: score {result['score']} ({result['grade']})"
        print(f"    {lead}: {reasons}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["bank", "olist", "both"], default="both")
    parser.add_argument(
        "--algorithm",
        choices=["lightgbm", "simpler_if_not_worse", "logistic_regression"],
        default=None,
        help="which model is registered (default: the training config's own algorithm)",
    )
    arguments = parser.parse_args()
    if arguments.dataset in ("bank", "both"):
        bank(arguments.algorithm)
    if arguments.dataset in ("olist", "both"):
        olist(arguments.algorithm)


def bank(algorithm: str | None) -> None:
    evaluate(
        "bank_marketing.yaml",
        {
            "stratified 80/20": SplitConfig(kind="stratified", validation=0.1, test=0.2),
            "time-ordered, last 10% as test": SplitConfig(kind="time", validation=0.1, test=0.1),
        },
        algorithm,
    )


def olist(algorithm: str | None) -> None:
    evaluate(
        "olist.yaml",
        {
            "time-ordered, last 20% as test": SplitConfig(kind="time", validation=0.2, test=0.2),
            "stratified 70/30": SplitConfig(kind="stratified", validation=0.15, test=0.15),
        },
        algorithm,
    )


if __name__ == "__main__":
    main()
