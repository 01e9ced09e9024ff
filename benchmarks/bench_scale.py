"""Benchmark: how feature building and training scale with data size and Dask workers.

For synthetic CRMs of about 1, 5 and 20 million events, measured in the same run:
- features: the labelled training table (snapshots every four weeks) built with pandas in
  this process (the reference), and on a LocalCluster of 1 and 2 worker processes (one
  thread each), from the same canonical Parquet files, written as Parquet;
- training: the same number of LightGBM rounds with the same parameters, ``lightgbm.train``
  on the pandas table (the reference, two threads) and ``DaskLGBMClassifier`` on 1 and 2
  workers.
The Dask tables are checked to hold the same number of rows as the pandas one.

    .venv/bin/python benchmarks/bench_scale.py [--events 1 5 20] [--rounds 200]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dask.dataframe as dd
import lightgbm as lgb
import pandas as pd

from leadscore.cluster import DaskSettings, dask_client
from leadscore.data.loading import CanonicalData
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.on_dask import (
    build_feature_table_dask,
    read_canonical,
    sorted_categories,
    write_feature_table_dask,
)
from leadscore.features.training_set import LABEL, build_feature_table
from leadscore.models.encoding import FeatureEncoder
from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.training.config import TrainingConfig
from leadscore.training.on_dask import fit_dask_booster

HERE = Path(__file__).parent
EVENTS_PER_CUSTOMER = 59  # what the generator produces on average
HORIZON = 30
T = TypeVar("T")


def canonical_frames(directory: Path) -> CanonicalData:
    """The canonical tables read straight from Parquet, as the Dask path reads them."""
    frames = {
        name: sorted_categories(pd.read_parquet(directory / f"{name}.parquet"))
        for name in ("customers", "events", "offers", "outcomes")
    }
    return CanonicalData(**frames, source=canonical_source(directory))


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def pandas_reference(directory: Path, feature_set, config: TrainingConfig, rounds: int) -> dict:
    data = canonical_frames(directory)
    t_features, table = timed(lambda: build_feature_table(data, feature_set, horizon_days=HORIZON))
    frame = table.frame
    encoder = FeatureEncoder.fit(frame, table.feature_names)
    label = frame[LABEL].to_numpy(dtype=bool)
    params = config.lightgbm.params(
        seed=config.seed, positives=int(label.sum()), negatives=int((~label).sum())
    )
    matrix = encoder.matrix(frame)

    def train() -> lgb.Booster:
        dataset = lgb.Dataset(
            matrix,
            label,
            feature_name=encoder.features,
            categorical_feature=encoder.categorical_index,
            params={"verbosity": -1},
        )
        return lgb.train(params, dataset, num_boost_round=rounds)

    t_train, _ = timed(train)
    return {
        "events": len(data.events),
        "rows": len(frame),
        "features_s": t_features,
        "train_s": t_train,
    }


def dask_run(
    directory: Path, feature_set, config: TrainingConfig, rounds: int, workers: int, out: Path
) -> dict:
    settings = DaskSettings(workers=workers, memory_limit=f"{20 // workers}GiB")
    with dask_client(settings) as client:
        partitions = 4 * workers

        def features() -> object:
            table = build_feature_table_dask(
                read_canonical(directory), feature_set, partitions=partitions, horizon_days=HORIZON
            )
            write_feature_table_dask(table, out)
            return table

        t_features, table = timed(features)
        frame = client.persist(dd.read_parquet(out))
        rows = int(frame.shape[0].compute())
        label = frame[LABEL]
        positives = int(label.sum().compute())
        encoder = FeatureEncoder.fit(frame.head(50_000), table.feature_names)
        run = config.model_copy(
            update={"lightgbm": config.lightgbm.model_copy(update={"num_boost_round": rounds})}
        )
        t_train, _ = timed(
            lambda: fit_dask_booster(
                frame, encoder, run, client, positives=positives, training_rows=rows
            )
        )
    return {"rows": rows, "features_s": t_features, "train_s": t_train}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=float, nargs="+", default=[1, 5, 20])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    feature_set = load_feature_set(HERE.parent / "features" / "conversion_v1.yaml")
    config = TrainingConfig(model="conversion", source=Path("."))
    lines = []
    for millions in args.events:
        customers = int(millions * 1e6 / EVENTS_PER_CUSTOMER)
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "crm"
            generate_crm(
                SyntheticConfig(customers=customers, seed=3, truth_customers=100), directory
            )
            reference = pandas_reference(directory, feature_set, config, args.rounds)
            gc.collect()
            runs = {
                w: dask_run(
                    directory, feature_set, config, args.rounds, w, Path(tmp) / f"features_{w}"
                )
                for w in (1, 2)
            }
        for w, run in runs.items():
            assert run["rows"] == reference["rows"], (w, run["rows"], reference["rows"])
        line = (
            f"| {reference['events'] / 1e6:.1f} M | {customers:,} | {reference['rows']:,} "
            f"| {reference['features_s']:.1f} s | {runs[1]['features_s']:.1f} s "
            f"| {runs[2]['features_s']:.1f} s "
            f"| {reference['train_s']:.1f} s | {runs[1]['train_s']:.1f} s "
            f"| {runs[2]['train_s']:.1f} s |"
        )
        print(line, flush=True)
        lines.append(line)
    print(
        "| events | customers | rows | features pandas | Dask 1 worker | Dask 2 workers "
        f"| {args.rounds} rounds lightgbm.train | lightgbm.dask 1 worker | 2 workers |"
    )
    print("|---" * 9 + "|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
