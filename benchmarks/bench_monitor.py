"""Benchmark: `leadscore monitor` over a week of about a million logged scores.

The store holds the 20,000-customer synthetic CRM and its champion, seven more copies of
its customers under other ids (160,000 leads), and seven nightly rescores of them all: a
week of 1,120,000 logged scores with their features and explanations. Target: the
monitoring (drift on a sample of 100,000 scores' features, estimated performance, fairness
per segment, the recommendation; the report not logged) under a minute on 2 cores. The
reference measured in the same run: a bare read of the week's logged rows (ids, scores,
probabilities, no features) with ``pandas.read_sql``.

    .venv/bin/python benchmarks/bench_monitor.py [--copies 7] [--nights 7] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

from bench_live import LOGGED_COLUMNS, copy_customers
from bench_service import bench_root, prepared
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.jobs.monitor import MonitorConfig, monitor
from leadscore.scoring.champions import load_champions
from leadscore.scoring.rescore import rescore_store
from leadscore.store.loading import put_canonical
from leadscore.store.moments import micros
from leadscore.store.store import Store

MODEL = "leadscore-conversion"
DAY_MICROS = 86_400 * 1_000_000


def fill(root: Path, *, copies: int, nights: int, now: pd.Timestamp) -> str:
    """The store: the CRM, rescored a week before ``now``, ``copies`` more copies of its
    customers and that rescore, then the same rescore again on each later night."""
    url = f"sqlite:///{root / 'monitor.db'}"
    store = Store.open(url)
    store.clear()
    data = require_loaded(load_source(canonical_source(root / "crm")))
    first = now - pd.Timedelta(days=nights) + pd.Timedelta(hours=1)
    put_canonical(store, data, now=first)
    scorer, _ = load_champions(MODEL, None, None, database_url=url)
    rescore_store(scorer.require_live(), now=first, batch_size=2_000)
    copy_customers(store, copies, scores=True)
    with store.engine.begin() as connection:
        for night in range(1, nights):
            shifted = LOGGED_COLUMNS.replace("scored_at", f"scored_at + {night * DAY_MICROS}", 1)
            connection.exec_driver_sql(
                f"INSERT INTO scores (customer_id, {LOGGED_COLUMNS}) SELECT customer_id, {shifted} "
                f"FROM scores WHERE scored_at = {micros(first)}"
            )
    return url


def bare_read(url: str, since: pd.Timestamp, until: pd.Timestamp) -> int:
    store = Store.open(url)
    with store.engine.connect() as connection:
        frame = pd.read_sql(
            "SELECT seq, customer_id, scored_at, model_version, probability, score, grade "
            f"FROM scores WHERE scored_at >= {micros(since)} AND scored_at < {micros(until)}",
            connection,
        )
    return len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--copies", type=int, default=7)
    parser.add_argument("--nights", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with bench_root(args.workdir) as root:
        prepared(root, args.customers)
        now = pd.Timestamp.now(tz="UTC")
        clock = time.perf_counter()
        url = fill(root, copies=args.copies, nights=args.nights, now=now)
        print(f"store filled in {time.perf_counter() - clock:.0f} s")
        config = MonitorConfig(period_days=args.nights)
        since = now - pd.Timedelta(days=args.nights)
        clock = time.perf_counter()
        rows = bare_read(url, since, now)
        bare = time.perf_counter() - clock
        clock = time.perf_counter()
        report = monitor(Store.open(url), model_name=MODEL, now=now, config=config)
        seconds = time.perf_counter() - clock
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"logged scores in the week: {report.scores:,} (bare read: {rows:,})")
        print(f"monitor: {seconds:.1f} s (target 60 s: {'met' if seconds < 60 else 'MISSED'})")
        print(f"bare read of the week's rows: {bare:.1f} s; monitor: {seconds / bare:.1f}x of it")
        print(f"peak memory of the process: {peak:,.0f} MiB")
        print(report.recommendation)


if __name__ == "__main__":
    main()
