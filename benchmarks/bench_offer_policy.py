"""Offer policies learnt from offers made, judged against the synthetic ground truth.

For each seed: a synthetic CRM whose campaigns make offers by a logging policy (part
random, part a marketer's rule) with logged probabilities; the response to offers learnt
from the offers made before the test period (the learner chosen by its validation value);
then, on the test period's offers made:

- the true incremental value per decision of the learnt policy, of the logging policy as
  it chose, of popularity (the offer of best take-up value for everyone), of random
  offers and of the oracle (the true best offer, or none);
- the doubly robust estimate of the learnt policy's take-up value with its 95 % interval,
  and whether it covers the true take-up value (targets: beats logging, popularity and
  random; within 10 % of the oracle; the interval covers the truth in 90 % of seeds);
- on the first seed, the time to learn the response (every learner, and the chance of
  taking offers up anyway) against one bare ``lightgbm.train`` on the same offer rows.

    .venv/bin/python benchmarks/bench_offer_policy.py [--customers 20000] [--seeds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.evaluation.offer_policy import (
    LEARNT,
    LOGGING,
    choose_response,
    evaluate_offer_policy,
)
from leadscore.features.definitions import load_feature_set
from leadscore.jobs.nbo import offers_made
from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.synthetic.generate import TRUTH_DIR
from leadscore.training.config import load_training_config
from leadscore.training.exposures import TAKEN

REPO = Path(__file__).resolve().parents[1]
NOW = pd.Timestamp("2026-11-27", tz="UTC")


def one_seed(customers: int, seed: int, workdir: Path, *, time_it: bool) -> dict:
    directory = workdir / f"crm-{seed}"
    generate_crm(
        SyntheticConfig(customers=customers, seed=seed, truth_customers=customers), directory
    )
    config = load_training_config(
        REPO / "training" / "configs" / "nbo_offers_made.yaml", source=directory
    )
    data = require_loaded(load_source(canonical_source(directory), now=NOW))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    rows = offers_made(config, data, feature_set)
    clock = time.perf_counter()
    chosen = choose_response(rows, config)
    learn_seconds = time.perf_counter() - clock
    fitted = chosen.fitted
    truth = pd.read_parquet(directory / TRUTH_DIR / "offer_decisions.parquet")
    compared = evaluate_offer_policy(rows, chosen, config, truth=truth).comparison
    test = rows.exposed.iloc[fitted.exposed_split.test]
    result = {
        "seed": seed,
        "offers_made": len(rows.exposed),
        "test_offers": len(test),
        "learner": fitted.learner,
        "why": chosen.why,
        **{f"true {name}": values["incremental_value"] for name, values in compared.truth.items()},
        "learnt take-up value (true)": compared.truth[LEARNT]["take_up_value"],
        **{
            f"learnt {name}{end}": getattr(compared.estimates[LEARNT][name.lower()], part)
            for name in ("DR", "IPS", "SNIPS")
            for end, part in (("", "value"), (" low", "low"), (" high", "high"))
        },
        "learn seconds": learn_seconds,
    }
    if time_it:
        result["bare lightgbm seconds"] = bare_lightgbm(rows, fitted, config)
    return result


def bare_lightgbm(rows, fitted, config) -> float:
    """One ``lightgbm.train`` on the training offers, the offer as a feature, with the
    job's parameters and early stopping on the validation offers."""
    exposed = rows.exposed
    matrix = fitted.encoder.matrix(exposed)
    ids = fitted.model.offer_ids
    codes = exposed["offer_id"].map({o: j for j, o in enumerate(ids)}).to_numpy(dtype=float)
    full = np.column_stack([matrix, codes])
    label = exposed[TAKEN].to_numpy(dtype=float)
    split = fitted.exposed_split
    params = config.lightgbm.params(
        seed=config.seed, positives=int(label.sum()), negatives=int((1 - label).sum())
    )
    categorical = [*fitted.encoder.categorical_index, full.shape[1] - 1]
    clock = time.perf_counter()
    train = lgb.Dataset(full[split.train], label[split.train], categorical_feature=categorical)
    valid = lgb.Dataset(
        full[split.validation],
        label[split.validation],
        reference=train,
        categorical_feature=categorical,
    )
    lgb.train(
        params,
        train,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
    )
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=20)
    arguments = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(arguments.seeds):
            result = one_seed(arguments.customers, seed, Path(workdir), time_it=seed == 0)
            results.append(result)
            print(
                f"seed {seed}: {result['learner']}; true incremental value per decision: "
                f"learnt {result[f'true {LEARNT}']:,.0f}, logging "
                f"{result[f'true {LOGGING}']:,.0f}, popularity {result['true popularity']:,.0f}, "
                f"random {result['true random']:,.0f}, oracle {result['true oracle']:,.0f}; "
                f"DR {result['learnt DR']:,.0f} [{result['learnt DR low']:,.0f}, "
                f"{result['learnt DR high']:,.0f}] vs true take-up value "
                f"{result['learnt take-up value (true)']:,.0f}",
                flush=True,
            )
    frame = pd.DataFrame(results)
    learnt = frame[f"true {LEARNT}"]
    truth = frame["learnt take-up value (true)"]
    print(f"\n{len(frame)} seeds, {arguments.customers:,} customers each")
    print(f"learners kept: {frame['learner'].value_counts().to_dict()}; first: {frame['why'][0]}")
    for other in (LOGGING, "popularity", "random"):
        wins = (learnt > frame[f"true {other}"]).mean()
        ratio = (learnt / frame[f"true {other}"]).median()
        print(f"beats {other}: {wins:.0%} of seeds (median ratio {ratio:.2f}x)")
    share = learnt / frame["true oracle"]
    print(
        f"share of the oracle's value: median {share.median():.1%}, "
        f"min {share.min():.1%}, max {share.max():.1%} (target >= 90 %)"
    )
    for name in ("DR", "IPS", "SNIPS"):
        covered = (frame[f"learnt {name} low"] <= truth) & (truth <= frame[f"learnt {name} high"])
        error = (frame[f"learnt {name}"] / truth - 1).abs().median()
        print(
            f"{name}: 95 % interval covers the true take-up value in {covered.mean():.0%} of "
            f"seeds; median error {error:.1%}"
        )
    first = frame.iloc[0]
    learn, bare = first["learn seconds"], first["bare lightgbm seconds"]
    print(
        "learning the response (every learner and the anyway model) "
        f"{learn:.1f} s against one bare lightgbm.train {bare:.1f} s: {learn / bare:.2f}x"
    )


if __name__ == "__main__":
    main()
