"""Real data: the whole path on the public data sets in ../shared/data, with the figures
the README reports. Needs the data (not part of this repository).

- Bank marketing (Moro et al. 2014), without `duration`: AUC on a stratified 80/20 split
  (how the literature reports it; target > 0.80) and on the time-ordered last 10%.
- Olist marketing funnel: lead-to-deal AUC, as of first contact, deal within 30 days.
Each also prints the leakage audit's findings and the logistic baseline.

    .venv/bin/python benchmarks/bench_real_data.py
"""

from __future__ import annotations

from pathlib import Path

from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import LABEL, build_feature_table
from leadscore.loading import load_source, require_loaded
from leadscore.modeling.config import SplitConfig, load_training_config
from leadscore.modeling.conversion import train_conversion
from leadscore.source_config import resolve_source

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


def main() -> None:
    evaluate(
        "bank_marketing.yaml",
        {
            "stratified 80/20": SplitConfig(kind="stratified", validation=0.1, test=0.2),
            "time-ordered, last 10% as test": SplitConfig(kind="time", validation=0.1, test=0.1),
        },
    )
    evaluate(
        "olist.yaml",
        {
            "time-ordered, last 20% as test": SplitConfig(kind="time", validation=0.2, test=0.2),
            "stratified 70/30": SplitConfig(kind="stratified", validation=0.15, test=0.15),
        },
    )


if __name__ == "__main__":
    main()
