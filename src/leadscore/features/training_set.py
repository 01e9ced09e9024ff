"""Feature tables for training (with labels and a leakage audit) and for scoring."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.data.source_config import FlagLabel
from leadscore.features.audit import DEFAULT_SUSPICIOUS_AUC, id_features, leakage_audit
from leadscore.features.builder import build_features, feature_columns
from leadscore.features.definitions import Feature, FeatureSetDefinition
from leadscore.features.spine import (
    converted_within,
    creation_spine,
    data_end,
    default_snapshot_dates,
    snapshot_spine,
)

SpineKind = Literal["auto", "snapshots", "creation"]

LABEL = "label"
METADATA_KEY = b"leadscore"


class FeatureColumns:
    """What pandas and Dask feature tables both tell about their columns."""

    frame: pd.DataFrame
    features: list[Feature]

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def has_label(self) -> bool:
        return LABEL in self.frame.columns


@dataclass
class FeatureTable(FeatureColumns):
    """Features (and, for training, labels) with what is needed to read them."""

    frame: pd.DataFrame
    features: list[Feature]
    feature_set: FeatureSetDefinition
    horizon_days: int | None = None  # 0: the label is a flag, not a window
    audit: pd.DataFrame | None = None
    censored_rows: int = 0
    notes: list[str] = field(default_factory=list)


def is_flat(data: CanonicalData) -> bool:
    """A flat export: one row per lead with a converted flag and no behaviour over time."""
    return isinstance(data.source.label, FlagLabel)


def at_creation(data: CanonicalData, spine: SpineKind) -> bool:
    """Whether to build one row per lead at its creation rather than periodic snapshots.

    'auto' does so for sources without behaviour events (flat exports, lead lists with
    outcomes): their only moment of interest is when the lead came in.
    """
    if is_flat(data):
        return True
    if spine == "auto":
        return data.events.empty
    return spine == "creation"


@dataclass(frozen=True)
class TablePlan:
    """Which (customer, as-of) points a table holds, decided once for all partitions.

    ``dates`` None means one point per lead at its creation. ``end`` is the latest moment
    of the whole data set: points whose label window reaches past it are censored.
    """

    dates: tuple[pd.Timestamp, ...] | None
    horizon_days: int | None
    end: pd.Timestamp
    notes: tuple[str, ...] = ()


def plan_table(
    data: CanonicalData,
    *,
    as_of: Sequence[pd.Timestamp] | None = None,
    horizon_days: int | None = None,
    spine_kind: SpineKind = "auto",
    every_days: int = 28,
) -> TablePlan:
    """Flat exports get one row per lead at its creation, labelled by the converted flag, and
    so do sources without events unless ``spine_kind`` says 'snapshots'. Otherwise, without
    dates, training sets use snapshots every four weeks and scoring uses 'now'.

    ``data`` need only hold what the plan reads: every customer's ``created_at`` and the
    latest event and outcome (the Dask path passes exactly that).
    """
    notes: list[str] = []
    if is_flat(data):
        horizon_days = None if horizon_days is None else 0
        notes += _flat_notes(data, spine_kind)
    end = data_end(data)
    if at_creation(data, spine_kind):
        if as_of:
            notes.append("as-of dates ignored: one row per lead at its creation")
        return TablePlan(None, horizon_days, end, tuple(notes))
    dates = list(as_of or [])
    if not dates:
        dates = (
            default_snapshot_dates(data, horizon_days=horizon_days, every_days=every_days)
            if horizon_days
            else [pd.Timestamp.now(tz="UTC")]
        )
    if not dates:
        raise InputError(
            "the data is too short for training snapshots: they need 12 weeks of history "
            f"plus the {horizon_days}-day horizon. Give training moments yourself (as_of: in "
            "the training config, --as-of on the command line) or a shorter horizon_days"
        )
    late = max(dates) - end
    if late > STALE_AFTER:
        notes.append(
            f"as of {max(dates):%Y-%m-%d %H:%M} is {late.days} days after the data's last "
            f"record ({end:%Y-%m-%d}): recency features count from then ('last activity "
            f"{late.days} days ago'); load a newer export, or pass --as-of"
        )
    return TablePlan(tuple(dates), horizon_days, end, tuple(notes))


# an as-of further than this past the data's last record is worth a note
STALE_AFTER = pd.Timedelta(days=7)


def _flat_notes(data: CanonicalData, spine_kind: SpineKind) -> list[str]:
    """Why a flag label and events do not mix: a row per lead at creation sees no events."""
    notes = []
    if spine_kind == "snapshots":
        notes.append(
            "--spine snapshots ignored: a flag label has no date, so each lead has one row, "
            "at its creation"
        )
    if not data.events.empty:
        notes.append(
            f"the label is a flag, so each lead has one row at its creation, before its "
            f"{len(data.events):,} events: behaviour features stay 0. Dated outcomes (an "
            "outcomes table, or label {kind: event, event_type: purchase}) let events count"
        )
    return notes


def plan_spine(customers: pd.DataFrame, plan: TablePlan) -> tuple[pd.DataFrame, int]:
    """The plan's points for these customers, and how many were censored."""
    if plan.dates is None:
        spine = creation_spine(customers)
    else:
        spine = snapshot_spine(customers, plan.dates)
    if not plan.horizon_days:
        return spine, 0
    open_window = (spine["as_of"] + pd.Timedelta(days=plan.horizon_days) > plan.end).to_numpy()
    return spine[~open_window].reset_index(drop=True), int(open_window.sum())


def labelled_features(
    data: CanonicalData,
    feature_set: FeatureSetDefinition,
    plan: TablePlan,
    *,
    n_jobs: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """Features (and the label, if the plan has a horizon) of the plan's points for the
    customers in ``data``, and how many points were censored. Pure per customer: the Dask
    path calls it once per customer partition."""
    spine, censored = plan_spine(data.customers, plan)
    frame = build_features(
        data.customers,
        data.events,
        spine,
        feature_set,
        post_outcome_columns=data.source.post_outcome_columns,
        identifier_columns=data.source.identifier_columns,
        n_jobs=n_jobs,
    )
    if plan.horizon_days is not None:
        frame[LABEL] = _label(data, spine, plan.horizon_days)
    return frame, censored


def build_feature_table(
    data: CanonicalData,
    feature_set: FeatureSetDefinition,
    *,
    as_of: Sequence[pd.Timestamp] | None = None,
    horizon_days: int | None = None,
    suspicious_auc: float = DEFAULT_SUSPICIOUS_AUC,
    spine_kind: SpineKind = "auto",
    every_days: int = 28,
) -> FeatureTable:
    """Build features as of the given moments; with ``horizon_days``, a labelled training set.

    Which points: see :func:`plan_table`.
    """
    features = feature_columns(
        feature_set,
        data.customers,
        post_outcome_columns=data.source.post_outcome_columns,
        identifier_columns=data.source.identifier_columns,
    )
    plan = plan_table(
        data, as_of=as_of, horizon_days=horizon_days, spine_kind=spine_kind, every_days=every_days
    )
    frame, censored = labelled_features(data, feature_set, plan)
    if frame.empty:
        raise InputError("no (customer, as-of) points: every customer was created after the dates")
    table = FeatureTable(
        frame, features, feature_set, plan.horizon_days, None, censored, list(plan.notes)
    )
    if plan.horizon_days is None:
        return table
    spine = frame[["customer_id", "as_of"]]
    table.audit = leakage_audit(
        frame,
        table.feature_names,
        frame[LABEL].to_numpy(),
        post_outcome=_post_outcome_values(data, spine),
        identifiers=[
            c
            for c in data.source.identifier_columns
            if c in data.customers and c not in table.feature_names
        ],
        suspicious_auc=suspicious_auc,
        recorded=[f.name for f in features if f.definition is None],
    )
    ids = id_features(table.audit)
    if ids:  # a lead number ranks leads by when they came in, not by who they are
        table.features = [f for f in table.features if f.name not in ids]
        table.notes.append(
            f"left out {', '.join(ids)}: integers of their own per lead, so ids, not features"
        )
    return table


def _label(data: CanonicalData, spine: pd.DataFrame, horizon_days: int | None) -> np.ndarray:
    if is_flat(data):
        converted = data.customers.set_index("customer_id")["converted"]
        return converted.reindex(spine["customer_id"]).to_numpy(dtype=bool)
    return converted_within(spine, data.outcomes, horizon_days=horizon_days)


def _post_outcome_values(data: CanonicalData, spine: pd.DataFrame) -> pd.DataFrame | None:
    """Post-outcome fields aligned to the spine, from customers or (first) outcome rows."""
    columns = {}
    outcomes = data.outcomes.drop_duplicates("customer_id").set_index("customer_id")
    customers = data.customers.set_index("customer_id")
    for name in data.source.post_outcome_columns:
        for table in (customers, outcomes):
            if name in table.columns:
                columns[name] = table[name].reindex(spine["customer_id"]).reset_index(drop=True)
                break
    return pd.DataFrame(columns) if columns else None


def write_feature_table(table: FeatureTable, path: Path) -> list[Path]:
    """Parquet with the feature set and descriptions in its metadata; the audit beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrow = pa.Table.from_pandas(table.frame, preserve_index=False)
    meta = table_metadata(table.feature_set, table.horizon_days, table.features)
    existing = arrow.schema.metadata or {}
    arrow = arrow.replace_schema_metadata({**existing, METADATA_KEY: meta})
    pq.write_table(arrow, path)
    written = [path]
    if table.audit is not None:
        audit_path = audit_path_for(path)
        table.audit.to_csv(audit_path, index=False)
        written.append(audit_path)
    return written


def table_metadata(
    feature_set: FeatureSetDefinition, horizon_days: int | None, features: list[Feature]
) -> bytes:
    """What a feature table's Parquet files carry: the feature set, horizon and the features'
    descriptions (so that a model trained on it can explain itself)."""
    meta = {
        "feature_set": feature_set.id,
        "horizon_days": horizon_days,
        "features": {f.name: {**f.description.as_metadata(), "window": f.window} for f in features},
    }
    return json.dumps(meta).encode()


def audit_path_for(path: Path) -> Path:
    return path.with_name(path.stem + ".audit.csv")


def read_feature_metadata(path: Path) -> dict:
    """The feature set id, horizon and feature descriptions stored with a feature table."""
    metadata = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in metadata:
        raise InputError(f"{path}: not a leadscore feature table (no feature set metadata)")
    return json.loads(metadata[METADATA_KEY])
