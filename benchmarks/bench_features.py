"""Benchmark: feature building against DuckDB, and 12 snapshots against one.

Targets (issue: feature pipeline), on 10 million events of 200,000 customers:
- one snapshot of 36 windowed counts for all customers within 1.5x the time DuckDB needs
  for the same aggregates (same data in memory, same machine, same run);
- 12 monthly snapshots within 3x the time of one snapshot.
Both results are checked to be equal before anything is timed.

    .venv/bin/python benchmarks/bench_features.py [--customers 200000] [--events 10000000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.builder import build_features
from leadscore.features.definitions import load_feature_set
from leadscore.features.spine import snapshot_spine
from leadscore.synthetic import SyntheticConfig, generate_crm

HERE = Path(__file__).parent
RATIO_DUCKDB = 1.5
RATIO_TWELVE = 3.0


def duckdb_snapshot(
    con: duckdb.DuckDBPyConnection, feature_set, as_of: pd.Timestamp
) -> pd.DataFrame:
    aggregates = []
    for definition in feature_set.features:
        (event_type,) = definition.where.event_type
        for window in definition.windows:
            aggregates.append(
                f"count(*) FILTER (WHERE event_type = '{event_type}' AND "
                f"ts >= $as_of - INTERVAL {window} DAY) AS {definition.name}_{window}d"
            )
    longest = max(w for d in feature_set.features for w in d.windows)
    sql = f"""
        WITH agg AS (
            SELECT customer_id, {", ".join(aggregates)}
            FROM events
            WHERE ts < $as_of AND ts >= $as_of - INTERVAL {longest} DAY
            GROUP BY customer_id
        )
        SELECT c.customer_id, agg.* EXCLUDE (customer_id)
        FROM customers c LEFT JOIN agg USING (customer_id)
        WHERE c.created_at < $as_of
        ORDER BY c.customer_id
    """
    return con.execute(sql, {"as_of": as_of.to_pydatetime()}).df()


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        generate_crm(
            SyntheticConfig(customers=args.customers, seed=1, truth_customers=100), Path(tmp)
        )
        data = require_loaded(load_source(canonical_source(Path(tmp))))
    events = data.events
    if len(events) > args.events:  # an even sample keeps every customer's time order
        keep = np.sort(np.random.default_rng(0).choice(len(events), args.events, replace=False))
        events = events.iloc[keep].reset_index(drop=True)
    customers = data.customers
    feature_set = load_feature_set(HERE / "bench_v1.yaml")
    end = events["ts"].max().floor("D")
    as_of = end - pd.Timedelta(days=30)
    dates = [end - pd.Timedelta(days=30 * k) for k in range(12, 0, -1)]
    spine_one = snapshot_spine(customers, [as_of])
    spine_twelve = snapshot_spine(customers, dates)

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    ddb_events = events[["customer_id", "ts", "event_type"]].astype(
        {"customer_id": "str", "event_type": "str"}
    )
    con.register("events", ddb_events)
    con.register(
        "customers", customers[["customer_id", "created_at"]].astype({"customer_id": "str"})
    )

    ours = build_features(customers, events, spine_one, feature_set).sort_values("customer_id")
    theirs = duckdb_snapshot(con, feature_set, as_of)
    names = [c for c in ours.columns if c not in ("customer_id", "as_of")]
    assert ours["customer_id"].tolist() == theirs["customer_id"].tolist()
    mismatch = (ours[names].to_numpy() != theirs[names].fillna(0).to_numpy()).sum()
    assert mismatch == 0, f"{mismatch} values differ from DuckDB"

    t_duckdb, _ = best_of(args.repeats, lambda: duckdb_snapshot(con, feature_set, as_of))
    t_one, _ = best_of(
        args.repeats, lambda: build_features(customers, events, spine_one, feature_set)
    )
    t_twelve, _ = best_of(
        args.repeats, lambda: build_features(customers, events, spine_twelve, feature_set)
    )

    tracemalloc.start()
    build_features(customers, events, spine_twelve, feature_set)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    full_set = load_feature_set(HERE.parent / "features" / "conversion_v1.yaml")
    t_full, _ = best_of(1, lambda: build_features(customers, events, spine_twelve, full_set))

    ratio_duckdb, ratio_twelve = t_one / t_duckdb, t_twelve / t_one
    rows = [
        ("events / customers", f"{len(events):,} / {len(customers):,}"),
        ("features per row", f"{len(names)} windowed counts, equal to DuckDB's"),
        ("DuckDB, one snapshot", f"{t_duckdb:.2f} s"),
        ("leadscore, one snapshot", f"{t_one:.2f} s = {ratio_duckdb:.2f}x DuckDB"),
        ("leadscore, 12 snapshots", f"{t_twelve:.2f} s = {ratio_twelve:.2f}x one snapshot"),
        ("conversion_v1, 12 snapshots", f"{t_full:.2f} s ({len(spine_twelve):,} rows)"),
        ("peak memory, 12 snapshots", f"{peak / 2**20:,.0f} MiB allocated by the build"),
        ("process peak RSS", f"{rss:,.0f} MiB (data generation included)"),
    ]
    for label, value in rows:
        print(f"{label:<30}{value}")
    print(f"targets: one snapshot <= {RATIO_DUCKDB}x DuckDB, 12 snapshots <= {RATIO_TWELVE}x one")
    if ratio_duckdb > RATIO_DUCKDB or ratio_twelve > RATIO_TWELVE:
        raise SystemExit("target missed")


if __name__ == "__main__":
    main()
