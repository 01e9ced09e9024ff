"""Benchmark: the conversion training job against a bare ``lightgbm.train``, and its quality.

Targets (issue: training), on the synthetic CRM with 200,000 customers (1.3 million training rows):
- the whole training job (features already built: calibration, grades, baselines,
  evaluation, SHAP, plots, model card, MLflow run and registration) takes at most 1.3x a
  bare ``lightgbm.train`` on the same matrix with the same parameters, same run;
- test AUC within 0.02 of the oracle's AUC on the same rows; calibration error <= 0.02.
The MLflow store is created by a first run; the second run is timed (a store is made once).

    .venv/bin/python benchmarks/bench_training.py [--customers 200000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import lightgbm as lgb

from bench_real_data import grade_shares
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import LABEL, build_feature_table, write_feature_table
from leadscore.jobs.inputs import prepare_table
from leadscore.jobs.run import run_job
from leadscore.models.encoding import FeatureEncoder
from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.training.booster import PartMatrices, lightgbm_inputs
from leadscore.training.config import load_training_config
from leadscore.training.rows import make_split

REPO = Path(__file__).resolve().parents[1]
RATIO = 1.3


def train_bare(matrices, label, split, encoder, config) -> lgb.Booster:
    """The reference: ``lightgbm.train`` with early stopping on the job's own inputs,
    nothing else."""
    params, train, valid = lightgbm_inputs(matrices, label, split, encoder, config)
    return lgb.train(
        params,
        train,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_crm(SyntheticConfig(customers=args.customers, seed=42), root / "crm")
        config = load_training_config(
            REPO / "training" / "configs" / "conversion.yaml", source=root / "crm"
        )
        data = require_loaded(load_source(canonical_source(root / "crm")))
        feature_set = load_feature_set(
            config.feature_set, directory=config.path(config.features_dir)
        )
        table = build_feature_table(data, feature_set, horizon_days=config.horizon_days)
        features_file = root / "train.parquet"
        write_feature_table(table, features_file)
        del data, table

        os.chdir(root)  # the embedded MLflow store lives in the working directory
        run_job(config, features_file=features_file)  # creates the store
        table, _, _ = prepare_table(config, features_file)
        label = table.frame[LABEL].to_numpy(dtype=bool)
        split = make_split(table, config)
        encoder = FeatureEncoder.fit(table.frame, table.feature_names)
        matrices = PartMatrices.encode(encoder, table.frame, split)
        del table
        # interleaved, so that the machine's drift over minutes touches both alike
        job_times, bare_times, result = [], [], None
        for _ in range(args.repeats):
            started = time.perf_counter()
            result = run_job(config, features_file=features_file)
            job_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            train_bare(matrices, label, split, encoder, config)
            bare_times.append(time.perf_counter() - started)

    job, bare = statistics.median(job_times), statistics.median(bare_times)
    evaluation = result.evaluation
    metrics, oracle = evaluation.metrics, evaluation.oracle
    logistic = evaluation.baselines["logistic_regression"]["roc_auc"]
    rules = evaluation.baselines["rules_points"]["roc_auc"]
    rows = [
        ("training rows / test rows", f"{len(split.train):,} / {len(split.test):,}"),
        ("bare lightgbm.train", f"{bare:.1f} s ({evaluation.best_iteration} trees)"),
        ("whole training job", f"{job:.1f} s = {job / bare:.2f}x (target <= {RATIO})"),
        (
            "pairs (job / bare)",
            ", ".join(f"{j:.1f}/{b:.1f}" for j, b in zip(job_times, bare_times, strict=True)),
        ),
        ("job steps", ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())),
        (
            "train/evaluate steps",
            ", ".join(f"{k} {v:.1f} s" for k, v in evaluation.timings.items()),
        ),
        ("test AUC", f"{metrics['roc_auc']:.4f} (logistic {logistic:.4f}, points {rules:.4f})"),
        (
            "oracle AUC, same rows",
            f"{oracle['oracle_auc']:.4f}; model {oracle['model_auc_same_rows']:.4f}; "
            f"gap {oracle['gap']:.4f} (target <= 0.02)",
        ),
        ("expected calibration error", f"{metrics['ece']:.4f} (target <= 0.02)"),
        ("log loss / Brier", f"{metrics['log_loss']:.4f} / {metrics['brier']:.4f}"),
        ("lift at 10%", f"{metrics['lift_at_10pct']:.2f}"),
        (
            "grades A/B/C/D conversion",
            " / ".join(f"{r:.1%}" for r in evaluation.per_grade["conversion_rate"]),
        ),
        ("grade shares", grade_shares(evaluation.per_grade)),
    ]
    for name, value in rows:
        print(f"{name:<28}{value}")
    missed = job / bare > RATIO or oracle["gap"] > 0.02 or metrics["ece"] > 0.02
    missed |= not (metrics["roc_auc"] > logistic and metrics["roc_auc"] > rules)
    if missed:
        raise SystemExit("target missed")


if __name__ == "__main__":
    main()
