"""What every training job starts from and ends with: the data and its digest, the
labelled feature table, the ground truth where the data is synthetic, and the result."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.common.declarations import feature_sets_dir
from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData, load_source, require_loaded
from leadscore.data.source_config import resolve_source
from leadscore.evaluation.conversion import Evaluation
from leadscore.evaluation.nbo import NBOEvaluation
from leadscore.evaluation.offer_policy import OfferEvaluation
from leadscore.features.audit import leakage_audit
from leadscore.features.definitions import (
    Description,
    Feature,
    FeatureSetDefinition,
    load_feature_set,
)
from leadscore.features.on_dask import DaskFeatureTable
from leadscore.features.spine import converted_within, data_end
from leadscore.features.training_set import (
    LABEL,
    FeatureTable,
    TablePlan,
    audit_path_for,
    build_feature_table,
    plan_spine,
    read_feature_metadata,
)
from leadscore.tracking import RegisteredRun
from leadscore.training.config import TrainingConfig
from leadscore.training.exposures import exposure_days

GROUND_TRUTH = Path("ground_truth")
TEST_TABLE = "evaluation/test.parquet"  # the test rows the promotion gate scores


@dataclass(frozen=True)
class JobResult:
    """A finished job: its evaluation (of the kind's own type), table and MLflow run."""

    kind: str
    evaluation: Evaluation | NBOEvaluation | OfferEvaluation
    table: FeatureTable | DaskFeatureTable | None  # None: rows of offers made, no table
    run: RegisteredRun
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


def feature_set_of(config: TrainingConfig) -> FeatureSetDefinition:
    """The config's feature set: a YAML path (relative to the config), or an id looked up
    in its features_dir; a config that names no folder and lies where the default one
    (../../features) is not, such as one `leadscore init` wrote beside an export, finds
    the shipped sets."""
    named = config.feature_set
    if named.endswith((".yaml", ".yml")):
        return load_feature_set(config.path(Path(named)))
    folder = config.path(config.features_dir)
    if "features_dir" in config.model_fields_set or folder.is_dir():
        return load_feature_set(named, directory=folder)
    return load_feature_set(named, directory=[folder, feature_sets_dir()])


def build_table(
    config: TrainingConfig, data: CanonicalData, feature_set: FeatureSetDefinition
) -> FeatureTable:
    """The config's labelled feature table of ``data``."""
    spine, as_of = config.spine, config.snapshot_dates or None
    if spine == "exposures":
        spine, as_of = "snapshots", exposure_days(data)
    return build_feature_table(
        data,
        feature_set,
        horizon_days=config.horizon_days,
        spine_kind=spine,
        as_of=as_of,
        every_days=config.snapshot_every_days,
    )


def prepare_table(
    config: TrainingConfig, features_file: Path | None
) -> tuple[FeatureTable, CanonicalData | None, list[Path]]:
    """The labelled feature table: read from ``features_file`` or built from the source."""
    feature_set = feature_set_of(config)
    if features_file is None:
        data, files = load_data(config)
        return build_table(config, data, feature_set), data, files
    meta = read_feature_metadata(features_file)
    if meta["feature_set"] != feature_set.id:
        raise InputError(
            f"{features_file} holds feature set {meta['feature_set']}, the training config "
            f"asks for {feature_set.id}: train with --feature-set {meta['feature_set']} (or "
            f"'feature_set: {meta['feature_set']}' in the config), or rebuild the table with "
            f"leadscore features --label --feature-set {feature_set.id}"
        )
    frame = pd.read_parquet(features_file)
    if LABEL not in frame.columns:
        raise InputError(f"{features_file}: no label column; build it with --label")
    features = [
        Feature(name, None, info["window"], Description.from_metadata(info))
        for name, info in meta["features"].items()
    ]
    table = FeatureTable(frame, features, feature_set, meta["horizon_days"])
    table.audit = _audit_of(features_file, table)
    return table, None, [features_file]


def _audit_of(features_file: Path, table: FeatureTable) -> pd.DataFrame:
    """The audit written beside the feature table, or one measured anew from its rows."""
    beside = audit_path_for(features_file)
    if beside.exists() and beside.stat().st_size:
        return pd.read_csv(beside)
    label = table.frame[LABEL].to_numpy(dtype=bool)
    recorded = [f.name for f in table.features if f.definition is None]
    return leakage_audit(table.frame, table.feature_names, label, recorded=recorded)


def ground_truth(config: TrainingConfig, name: str) -> pd.DataFrame | None:
    """The synthetic CRM's ground truth ``name`` (conversion, offer_affinity), if any."""
    path = config.path(config.source) / GROUND_TRUTH / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def creation_rows(data: CanonicalData, config: TrainingConfig) -> tuple[np.ndarray, pd.Series]:
    """The label and as-of of one row per lead at its creation, as ``spine: creation``
    would build them (leads whose label window reaches past the data left out): cheap,
    no features, so a split that falls short can check that spine too."""
    plan = TablePlan(None, config.horizon_days, data_end(data))
    spine, _ = plan_spine(data.customers, plan)
    label = converted_within(spine, data.outcomes, horizon_days=config.horizon_days)
    return label, spine["as_of"].reset_index(drop=True)
