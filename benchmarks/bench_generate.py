"""Benchmark: generating the synthetic CRM (target: 100,000 customers in under a minute).

The reference, measured in the same run, is the floor any generator of this data must
pay: one Poisson draw per customer-week and event type, and writing the resulting events
table to Parquet. The ratio says how much the generator spends beyond that floor.

    .venv/bin/python benchmarks/bench_generate.py [--customers 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.synthetic.catalog import EVENT_TYPES

TARGET_SECONDS = 60.0


def reference_seconds(directory: Path, customers: int, weeks: int) -> float:
    """Poisson draws for every customer-week and event type, plus the Parquet write."""
    events = pd.read_parquet(directory / "events.parquet")
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    active_weeks = customers * weeks // 2  # leads arrive over the history: half on average
    for _ in EVENT_TYPES:
        rng.poisson(0.1, size=active_weeks)
    events.to_parquet(directory / "reference.parquet", index=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    config = SyntheticConfig(customers=args.customers, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        result = generate_crm(config, out)
        seconds = time.perf_counter() - started
        floor = reference_seconds(out, args.customers, config.weeks)
    print(f"customers            {result.customers:>12,}")
    print(f"events               {result.events:>12,}")
    print(f"generate             {seconds:>12.1f} s   (target < {TARGET_SECONDS:.0f} s)")
    print(f"reference floor      {floor:>12.1f} s   (Poisson draws + Parquet write)")
    print(f"ratio                {seconds / floor:>12.1f} x")
    print(f"oracle AUC           {result.oracle_auc:>12.3f}")
    if args.customers >= 100_000 and seconds > TARGET_SECONDS:
        raise SystemExit(f"too slow: {seconds:.1f} s > {TARGET_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
