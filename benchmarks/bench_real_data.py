"""Real data: the whole path on the public data sets in ../shared/data, with the figures
the README reports. Needs the data (not part of this repository).

- Bank marketing (Moro et al. 2014), without `duration`: AUC on a stratified 80/20 split
  (how the literature reports it; target > 0.80) and on the time-ordered last 10%.
- Olist marketing funnel: lead-to-deal AUC, as of first contact, deal within 30 days.
Each also prints the leakage audit's findings, the logistic baseline and the grades'
configured shares against those they held on the validation and test rows.

    .venv/bin/python benchmarks/bench_real_data.py [--dataset bank|olist]

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


def evaluate(config_name: str, splits: dict[str, SplitConfig]) -> None:
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
        evaluation = train_conversion(table, config.model_copy(update={"split": split}))
        m, logistic = evaluation.metrics, evaluation.baselines["logistic_regression"]
        print(
            f"  {name:<34} AUC {m['roc_auc']:.4f}  PR AUC {m['pr_auc']:.4f}  ECE {m['ece']:.4f}  "
            f"test positives {m['positive_rate']:.1%}  (logistic AUC {logistic['roc_auc']:.4f})"
        )
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
    for result in scorer.score_frame(rows, lang="de", top_k=3):
        reasons = "; ".join(r["text"] for r in result["reasons"])
        lead = f"{result['customer_id']}: score {result['score']} ({result['grade']})"
        print(f"    {lead}: {reasons}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["bank", "olist", "both"], default="both")
    chosen = parser.parse_args().dataset
    if chosen in ("bank", "both"):
        bank()
    if chosen in ("olist", "both"):
        olist()


def bank() -> None:
    evaluate(
        "bank_marketing.yaml",
        {
            "stratified 80/20": SplitConfig(kind="stratified", validation=0.1, test=0.2),
            "time-ordered, last 10% as test": SplitConfig(kind="time", validation=0.1, test=0.1),
        },
    )


def olist() -> None:
    evaluate(
        "olist.yaml",
        {
            "time-ordered, last 20% as test": SplitConfig(kind="time", validation=0.2, test=0.2),
            "stratified 70/30": SplitConfig(kind="stratified", validation=0.15, test=0.15),
        },
    )


if __name__ == "__main__":
    main()
