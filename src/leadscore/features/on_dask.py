"""Feature tables on Dask: the pandas builder, run once per customer partition.

Customers, events and outcomes are shuffled so that all rows of a customer share one
partition (chosen by a stable hash of ``customer_id``). Every partition then goes through
the same :func:`~leadscore.features.training_set.labelled_features` as the single-machine
path, with the points planned once for the whole data set, so both paths give the same
rows with the same values.

The Dask path reads canonical tables (``leadscore load --out`` or ``leadscore generate``
write them): each table is one Parquet file or a folder of Parquet files of that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.data.source_config import EventLabel, SourceConfig, canonical_source
from leadscore.data.tables import TABLES, empty_table
from leadscore.features.builder import feature_columns
from leadscore.features.definitions import Feature, FeatureSetDefinition
from leadscore.features.training_set import (
    METADATA_KEY,
    FeatureColumns,
    SpineKind,
    TablePlan,
    labelled_features,
    plan_table,
    table_metadata,
)

BUCKET = "_customer_bucket"
READ_TABLES = ("customers", "events", "outcomes")


@dataclass(frozen=True)
class DaskTables:
    """The canonical tables a feature table needs, as Dask collections."""

    customers: object  # dask.dataframe.DataFrame
    events: object
    outcomes: object
    source: SourceConfig
    files: tuple[Path, ...]


@dataclass
class DaskFeatureTable(FeatureColumns):
    """A feature table whose rows live in customer partitions of a Dask collection."""

    frame: object  # dask.dataframe.DataFrame, one partition per customer bucket
    features: list[Feature]
    feature_set: FeatureSetDefinition
    plan: TablePlan
    audit: pd.DataFrame | None = None  # on the rows a job pulls in (see training.on_dask)

    @property
    def horizon_days(self) -> int | None:
        return self.plan.horizon_days


def read_canonical(directory: Path) -> DaskTables:
    """Customers, events and outcomes of a canonical directory as Dask collections.

    Outcomes come from the label's event type when the directory has no outcomes table,
    as in the single-machine loader.
    """
    import dask.dataframe as dd  # the optional Dask engine loads only when a job runs on it

    source = canonical_source(directory)
    frames, files = {}, []
    for name in READ_TABLES:
        path = directory / f"{name}.parquet"
        if not path.exists():
            if name == "customers" or (directory / f"{name}.csv").exists():
                raise InputError(
                    f"{path}: the Dask path reads Parquet; run 'leadscore load {directory} "
                    "--out DIR' to write the canonical tables as Parquet"
                )
            frames[name] = dd.from_pandas(empty_table(name), npartitions=1)
            continue
        frame = dd.read_parquet(path)
        missing = [c for c in TABLES[name].required if c not in frame.columns]
        if missing:
            raise InputError(
                f"{path}: required column(s) {missing} missing "
                f"(it has: {', '.join(map(str, frame.columns))})"
            )
        frames[name] = frame.map_partitions(sorted_categories, meta=sorted_categories(frame._meta))
        files.extend(sorted(path.rglob("*.parquet")) if path.is_dir() else [path])
    if "outcomes" not in source.tables and isinstance(source.label, EventLabel):
        events = frames["events"]
        chosen = events[events["event_type"] == source.label.event_type]
        frames["outcomes"] = chosen[["customer_id", "ts", "offer_id", "value"]]
    return DaskTables(**frames, source=source, files=tuple(files))


def sorted_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories in sorted order, as the single-machine loader parses them: category
    codes, and so the models' encodings, then agree between the two paths."""
    changed = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.categories.is_monotonic_increasing:
            changed[column] = frame[column].cat.reorder_categories(dtype.categories.sort_values())
    return frame.assign(**changed) if changed else frame


def by_customer(frame: object, partitions: int) -> object:
    """Rows shuffled into ``partitions`` partitions; partition i holds bucket i's customers."""
    bucket = frame["customer_id"].map_partitions(  # type: ignore[attr-defined]
        customer_bucket, partitions, meta=(BUCKET, "int64")
    )
    divisions = (*range(partitions), partitions - 1)
    return frame.assign(**{BUCKET: bucket}).set_index(BUCKET, divisions=divisions)  # type: ignore[attr-defined]


def customer_bucket(customer_id: pd.Series, partitions: int) -> pd.Series:
    """A stable bucket per customer id: the same in every process, run and table."""
    if isinstance(customer_id.dtype, pd.CategoricalDtype):
        per_category = _hash(pd.Series(customer_id.cat.categories.astype("str")))
        codes = customer_id.cat.codes.to_numpy()
        hashed = np.where(codes >= 0, per_category[codes], 0)
    else:
        hashed = _hash(customer_id.astype("str"))
    return pd.Series((hashed % partitions).astype(np.int64), index=customer_id.index, name=BUCKET)


def _hash(ids: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(ids, index=False).to_numpy()


def data_summary(tables: DaskTables) -> CanonicalData:
    """The few figures a table plan reads, computed on the cluster, in CanonicalData form:
    the first and last customer creation and the last event and outcome."""
    import dask  # the optional Dask engine loads only when a job runs on it

    first, last, last_event, last_outcome = dask.compute(
        tables.customers["created_at"].min(),  # type: ignore[attr-defined]
        tables.customers["created_at"].max(),  # type: ignore[attr-defined]
        tables.events["ts"].max(),  # type: ignore[attr-defined]
        tables.outcomes["ts"].max(),  # type: ignore[attr-defined]
    )
    if pd.isna(first):
        raise InputError(f"{tables.source.base_dir}: the customers table is empty")

    def moments(name: str, moment: pd.Timestamp) -> pd.DataFrame:
        frame = empty_table(name)
        if pd.isna(moment):
            return frame
        return pd.DataFrame({"customer_id": ["-"], "ts": [moment]}).astype(
            {"ts": frame["ts"].dtype}
        )

    customers = pd.DataFrame({"customer_id": ["-", "-"], "created_at": [first, last]})
    return CanonicalData(
        customers=customers,
        events=moments("events", last_event),
        offers=empty_table("offers"),
        outcomes=moments("outcomes", last_outcome),
        source=tables.source,
    )


def build_feature_table_dask(
    tables: DaskTables,
    feature_set: FeatureSetDefinition,
    *,
    partitions: int,
    as_of: list[pd.Timestamp] | None = None,
    horizon_days: int | None = None,
    spine_kind: SpineKind = "auto",
    every_days: int = 28,
) -> DaskFeatureTable:
    """The feature table of :func:`build_feature_table`, as a lazy Dask collection.

    Nothing is computed but the plan's few summary figures; the leakage audit is left to
    the caller (it needs the label of every row: see ``training``).
    """
    import dask.dataframe as dd  # the optional Dask engine loads only when a job runs on it

    plan = plan_table(
        data_summary(tables),
        as_of=as_of,
        horizon_days=horizon_days,
        spine_kind=spine_kind,
        every_days=every_days,
    )
    customers = by_customer(tables.customers, partitions)
    events = by_customer(tables.events, partitions)
    outcomes = by_customer(tables.outcomes, partitions)
    meta_customers = tables.customers._meta  # type: ignore[attr-defined]
    features = feature_columns(
        feature_set,
        meta_customers,
        post_outcome_columns=tables.source.post_outcome_columns,
        identifier_columns=tables.source.identifier_columns,
    )
    kwargs = {"source": tables.source, "feature_set": feature_set, "plan": plan}
    meta = _meta(tables, feature_set, plan)
    frame = dd.map_partitions(
        partition_features,
        customers,
        events,
        outcomes,
        **kwargs,
        meta=meta,
        align_dataframes=False,
        enforce_metadata=False,
    )
    return DaskFeatureTable(frame, features, feature_set, plan)


def partition_features(
    customers: pd.DataFrame,
    events: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    source: SourceConfig,
    feature_set: FeatureSetDefinition,
    plan: TablePlan,
) -> pd.DataFrame:
    """One customer partition's feature rows; customer ids as plain strings, so that
    partitions concatenate without merging categories."""
    data = CanonicalData(
        customers=customers.reset_index(drop=True),
        events=events.reset_index(drop=True),
        offers=empty_table("offers"),
        outcomes=outcomes.reset_index(drop=True),
        source=source,
    )
    # one thread per task: Dask runs partitions side by side already
    frame, _ = labelled_features(data, feature_set, plan, n_jobs=1)
    frame["customer_id"] = frame["customer_id"].astype("str")
    return frame


def _meta(tables: DaskTables, feature_set: FeatureSetDefinition, plan: TablePlan) -> pd.DataFrame:
    """The output's columns and dtypes, from the function itself on no rows."""
    return partition_features(
        tables.customers._meta,  # type: ignore[attr-defined]
        tables.events._meta,  # type: ignore[attr-defined]
        tables.outcomes._meta,  # type: ignore[attr-defined]
        source=tables.source,
        feature_set=feature_set,
        plan=plan,
    )


def write_feature_table_dask(table: DaskFeatureTable, directory: Path) -> Path:
    """A folder of Parquet parts, one per partition, each carrying the feature metadata."""
    meta = table_metadata(table.feature_set, table.horizon_days, table.features)
    table.frame.to_parquet(  # type: ignore[attr-defined]
        directory,
        write_index=False,
        custom_metadata={METADATA_KEY: meta},
        overwrite=True,
    )
    return directory
