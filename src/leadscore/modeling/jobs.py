"""Training jobs: from a source (or a built feature table) to a registered model."""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadscore.errors import InputError
from leadscore.features.definitions import Description, Feature, load_feature_set
from leadscore.features.on_dask import DaskFeatureTable
from leadscore.features.training_set import (
    LABEL,
    FeatureTable,
    build_feature_table,
    read_feature_metadata,
)
from leadscore.loading import CanonicalData, load_source, require_loaded
from leadscore.modeling.card import conversion_card
from leadscore.modeling.config import TrainingConfig
from leadscore.modeling.conversion import Evaluation, train_conversion
from leadscore.modeling.registry import ConversionPredictor
from leadscore.source_config import resolve_source

TRUTH_FILE = Path("ground_truth") / "conversion.parquet"
TEST_TABLE = "evaluation/test.parquet"


@dataclass
class JobResult:
    kind: str
    evaluation: object
    table: FeatureTable
    run: object  # tracking.RegisteredRun
    timings: dict[str, float] = field(default_factory=dict)


def file_digest(paths: list[Path]) -> str:
    """sha256 over the input files' bytes: which data a model was trained on."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def load_data(config: TrainingConfig) -> tuple[CanonicalData, list[Path]]:
    source = resolve_source(config.path(config.source))
    data = require_loaded(load_source(source))
    files = [source.table_path(t) for t in source.tables]
    return data, files


def prepare_table(
    config: TrainingConfig, features_file: Path | None
) -> tuple[FeatureTable, CanonicalData | None, list[Path]]:
    """The labelled feature table: read from ``features_file`` or built from the source."""
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    if features_file is not None:
        meta = read_feature_metadata(features_file)
        if meta["feature_set"] != feature_set.id:
            raise InputError(
                f"{features_file} holds feature set {meta['feature_set']}, the config asks for "
                f"{feature_set.id}; rebuild it or change feature_set"
            )
        frame = pd.read_parquet(features_file)
        if LABEL not in frame.columns:
            raise InputError(f"{features_file}: no label column; build it with --label")
        features = [
            Feature(name, None, info["window"], Description.from_metadata(info))
            for name, info in meta["features"].items()
        ]
        table = FeatureTable(frame, features, feature_set, meta["horizon_days"])
        return table, None, [features_file]
    data, files = load_data(config)
    table = build_feature_table(
        data, feature_set, horizon_days=config.horizon_days, spine_kind=config.spine
    )
    return table, data, files


def ground_truth(config: TrainingConfig) -> pd.DataFrame | None:
    path = config.path(config.source) / TRUTH_FILE
    return pd.read_parquet(path) if path.exists() else None


def run_conversion(config: TrainingConfig, *, features_file: Path | None = None) -> JobResult:
    from leadscore import tracking
    from leadscore.modeling.plots import close_figures, conversion_figures

    timings = {}
    if config.dask is not None:
        if features_file is not None:
            raise InputError("the Dask job builds its features itself; leave --features out")
        table, files, evaluation = _conversion_on_dask(config, timings)
    else:
        clock = time.perf_counter()
        table, _, files = prepare_table(config, features_file)
        timings["features"] = time.perf_counter() - clock
        clock = time.perf_counter()
        evaluation = train_conversion(table, config, ground_truth(config))
        timings["train_evaluate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    lineage = {"data_hash": file_digest(files), "git_commit": tracking.git_commit()}
    figures = conversion_figures(evaluation)
    card = conversion_card(evaluation, table, lineage)
    with tempfile.TemporaryDirectory() as tmp:
        ConversionPredictor(evaluation.model).save(Path(tmp))
        run = tracking.log_training_run(
            tracking.RunRecord(
                kind="conversion",
                model_dir=Path(tmp),
                params=_params(config, table, evaluation),
                metrics=_metrics(evaluation),
                tags={
                    "feature_set": table.feature_set.id,
                    **lineage,
                    "split": evaluation.split.kind,
                },
                figures=figures,
                texts={
                    "model_card.md": card,
                    "leakage_audit.csv": ""
                    if table.audit is None
                    else table.audit.to_csv(index=False),
                },
                frames={TEST_TABLE: _test_table(evaluation, table)},
            ),
            experiment=config.experiment,
            model_name=config.model_name,
        )
    close_figures(figures)
    timings["track"] = time.perf_counter() - clock
    return JobResult("conversion", evaluation, table, run, timings)


def _conversion_on_dask(
    config: TrainingConfig, timings: dict[str, float]
) -> tuple[DaskFeatureTable, list[Path], Evaluation]:
    """Features and the booster on the Dask cluster the config names (or a local one)."""
    from leadscore.cluster import dask_client, partition_count
    from leadscore.features.on_dask import build_feature_table_dask, read_canonical
    from leadscore.modeling.on_dask import train_conversion_dask

    assert config.dask is not None
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    tables = read_canonical(config.path(config.source))
    with dask_client(config.dask) as client:
        clock = time.perf_counter()
        table = build_feature_table_dask(
            tables,
            feature_set,
            partitions=partition_count(config.dask, client),
            horizon_days=config.horizon_days,
            spine_kind=config.spine,
        )
        timings["plan"] = time.perf_counter() - clock
        clock = time.perf_counter()
        # features are built as the booster's fit first needs them, on the cluster
        evaluation = train_conversion_dask(table, config, ground_truth(config), client)
        timings["features_train_evaluate"] = time.perf_counter() - clock
    return table, list(tables.files), evaluation


def _params(config: TrainingConfig, table: FeatureTable, evaluation: Evaluation) -> dict:
    params = {
        "engine": "pandas" if config.dask is None else "dask",
        "feature_set": table.feature_set.id,
        "horizon_days": table.horizon_days,
        "seed": config.seed,
        "split": config.split.kind,
        "calibration": evaluation.model.calibrator.kind,
        "best_iteration": evaluation.best_iteration,
        "grades": evaluation.model.metadata["grades"],
        "rows_train": evaluation.training_rows,
        "rows_validation": len(evaluation.split.validation),
        "rows_test": len(evaluation.split.test),
    }
    params.update({f"lgbm_{k}": v for k, v in config.lightgbm.model_dump().items()})
    return params


def _metrics(evaluation: Evaluation) -> dict[str, float]:
    metrics = {f"test_{k}": v for k, v in evaluation.metrics.items()}
    for name, values in evaluation.baselines.items():
        metrics.update({f"baseline_{name}_{k}": v for k, v in values.items()})
    for name, value in (evaluation.oracle or {}).items():
        metrics[f"oracle_{name}"] = value
    for row in evaluation.per_grade.itertuples():
        metrics[f"grade_{row.grade}_conversion_rate"] = row.conversion_rate
        metrics[f"grade_{row.grade}_share"] = row.share
    return metrics


def _test_table(evaluation: Evaluation, table: FeatureTable) -> pd.DataFrame:
    columns = ["customer_id", "as_of", *table.feature_names, LABEL]
    return evaluation.test[columns]


def run_job(config: TrainingConfig, *, features_file: Path | None = None) -> JobResult:
    if config.model == "conversion":
        return run_conversion(config, features_file=features_file)
    from leadscore.modeling.nbo import run_nbo

    return run_nbo(config, features_file=features_file)
