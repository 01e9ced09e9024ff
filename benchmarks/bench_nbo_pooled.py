"""Next-best offer: one pooled model with the offer as a feature (the default) against one
model per offer, on the same time-based test set and the same rankings.

Both are leadscore's own training (``nbo.strategy``), calibrated on validation, ranking by
expected value among eligible offers.
Reported: hit rate at 1 and 3, MAP@3 and NDCG@3 for products and nurture content, the
mean test log loss over offers, and the oracle's ranking for reference.

    .venv/bin/python benchmarks/bench_nbo_pooled.py [--customers 10000] [--seed 42]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table
from leadscore.jobs.nbo import train_nbo
from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.training.config import load_training_config
from leadscore.training.nbo import offer_labels

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "crm"
        generate_crm(SyntheticConfig(customers=args.customers, seed=args.seed), source)
        config = load_training_config(REPO / "training/configs/nbo.yaml", source=source)
        data = require_loaded(load_source(canonical_source(source)))
        feature_set = load_feature_set(config.feature_set, directory=REPO / "features")
        table = build_feature_table(data, feature_set, horizon_days=config.horizon_days)
        labels = offer_labels(
            data, table.frame[["customer_id", "as_of"]], config.horizon_days, config.nbo
        )
        offers = data.offers[["offer_id", "name", "kind", "value"]].astype({"offer_id": "str"})
        affinity = pd.read_parquet(source / "ground_truth" / "offer_affinity.parquet")

        results, seconds = {}, {}
        for strategy in ("per_offer", "pooled"):
            nbo = config.nbo.model_copy(update={"strategy": strategy})
            started = time.perf_counter()
            results[strategy] = train_nbo(
                table, labels, offers, config.model_copy(update={"nbo": nbo}), affinity
            )
            seconds[strategy] = time.perf_counter() - started
    rows = []
    for kind in ("products", "nurture"):
        for strategy, evaluation in results.items():
            rows.append({"offers": kind, "model": strategy, **evaluation.rankings[f"{kind}/model"]})
        oracle = results["pooled"].rankings[f"{kind}/oracle"]
        rows.append({"offers": kind, "model": "oracle", **oracle})
    print(pd.DataFrame(rows).round(4).to_string(index=False))
    losses = {s: e.per_offer["test_log_loss"].mean() for s, e in results.items()}
    print("mean test log loss over offers: " + ", ".join(f"{s} {v:.5f}" for s, v in losses.items()))
    print("training time: " + ", ".join(f"{s} {v:.0f} s" for s, v in seconds.items()))


if __name__ == "__main__":
    main()
