"""The feature builder: a pure function of one customer partition.

Given the customers and events of a partition and a spine of (customer_id, as_of) points,
it returns one row of features per spine point, in spine order. Only events strictly
before a point's ``as_of`` count. A customer's features depend on its own events alone,
so partitions can be built independently (Dask runs this same function per partition).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.tables import DISPLAY_COLUMNS
from leadscore.features.definitions import (
    Description,
    EventFilter,
    Feature,
    FeatureDefinition,
    FeatureSetDefinition,
    ProfileSpec,
    expand,
    profile_description,
)
from leadscore.features.timeline import (
    US_PER_DAY,
    CodedColumn,
    EventSubset,
    Timeline,
    build_timeline,
    customer_codes,
    to_us,
)

NOT_PROFILE = {"customer_id", "created_at", "converted"}
# names of columns that hold shares, read as percentages where their values are fractions
_RATE_NAME = re.compile(r"(rate|ratio|share|percent|pct|proportion)", re.IGNORECASE)
MAX_DISTINCT_CATEGORIES = 64


def feature_columns(
    feature_set: FeatureSetDefinition,
    customers: pd.DataFrame,
    *,
    post_outcome_columns: Sequence[str] = (),
    identifier_columns: Sequence[str] = (),
) -> list[Feature]:
    """Every concrete feature the set yields on these customers, profile attributes first."""
    columns = profile_columns(
        feature_set.profile, customers, post_outcome_columns, identifier_columns
    )
    profile = [
        Feature(
            column,
            None,
            None,
            _profile_text(feature_set.profile, column, identifier_columns, customers[column]),
        )
        for column in columns
    ]
    currency = feature_set.currency
    return profile + [f for d in feature_set.features for f in expand(d, currency=currency)]


def profile_columns(
    spec: ProfileSpec | None,
    customers: pd.DataFrame,
    post_outcome_columns: Sequence[str] = (),
    identifier_columns: Sequence[str] = (),
) -> list[str]:
    """The customers' columns that are features: with ``include: all`` every one but the
    post-outcome, identifier, display and excluded ones; else those named (an identifier
    or a display column too)."""
    if spec is None:
        return []
    excluded = NOT_PROFILE | set(spec.exclude) | set(post_outcome_columns)
    if spec.include == "all":
        left_out = excluded | set(identifier_columns) | set(DISPLAY_COLUMNS)
        return [c for c in customers.columns if c not in left_out]
    missing = [c for c in spec.include if c not in customers.columns]
    if missing:
        raise InputError(
            f"profile columns {missing} are not in the customers table "
            f"(it has: {', '.join(map(str, customers.columns))})"
        )
    return [c for c in spec.include if c not in excluded]


def _profile_text(
    spec: ProfileSpec | None,
    column: str,
    identifier_columns: Sequence[str] = (),
    values: pd.Series | None = None,
) -> Description:
    """The column's description; an identifier a feature set names is never a reason
    (its values name a lead: a hash says nothing to a rep), and an undescribed rate reads
    as a percentage (ExitRates 0.0126: "Exit rates: 1,3 %")."""
    if spec is not None and column in spec.descriptions:
        text = spec.descriptions[column]
    else:
        text = profile_description(column)
        if values is not None and _is_rate(column, values):
            text = text.model_copy(update={"format": "percent"})
    return text.model_copy(update={"reason": False}) if column in identifier_columns else text


def _is_rate(column: str, values: pd.Series) -> bool:
    """A column named as a rate or share whose values all lie between 0 and 1."""
    if not _RATE_NAME.search(str(column)) or not pd.api.types.is_numeric_dtype(values):
        return False
    if pd.api.types.is_bool_dtype(values):
        return False
    present = values.dropna()
    return len(present) > 0 and bool(present.between(0, 1).all())


def build_features(
    customers: pd.DataFrame,
    events: pd.DataFrame,
    spine: pd.DataFrame,
    feature_set: FeatureSetDefinition,
    *,
    post_outcome_columns: Sequence[str] = (),
    identifier_columns: Sequence[str] = (),
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Features for every (customer_id, as_of) row of ``spine``, in the spine's order.

    ``customers`` must hold every customer of the spine; events of other customers are
    ignored. Post-outcome and identifier columns are never features (an identifier is
    where the feature set names it). ``n_jobs`` threads compute feature
    definitions side by side (default: the machine's cores, at most 4); the result does
    not depend on it.
    """
    # customers in id order, so that events sorted by (customer_id, ts) are in code order
    customers = customers.iloc[np.argsort(customers["customer_id"].astype("str").to_numpy())]
    ids = pd.Index(customers["customer_id"].astype("str"))
    if not ids.is_unique:
        raise InputError("customers: customer_id must be unique within a partition")
    spine_codes = customer_codes(ids, spine["customer_id"])
    if (spine_codes < 0).any():
        unknown = spine.loc[spine_codes < 0, "customer_id"].astype("str").unique()[:5].tolist()
        raise InputError(f"spine: customer_id(s) {unknown} are not in the customers table")
    # queries in (customer, as_of) order walk the sorted events forward: cache-friendly
    as_of_us = to_us(spine["as_of"])
    order = _query_order(spine_codes, as_of_us)
    windows_us = _longest_window(feature_set) * US_PER_DAY
    timeline = build_timeline(
        events,
        customer_codes(ids, events["customer_id"]),
        n_customers=len(ids),
        earliest_us=int(as_of_us.min() - windows_us) if len(as_of_us) else 0,
        latest_us=int(as_of_us.max()) if len(as_of_us) else 0,
        dedupe_within_seconds=feature_set.dedupe_within_seconds,
    )
    out: dict[str, object] = {
        "customer_id": spine["customer_id"].reset_index(drop=True),
        "as_of": spine["as_of"].reset_index(drop=True),
    }
    for column in profile_columns(
        feature_set.profile, customers, post_outcome_columns, identifier_columns
    ):
        out[column] = customers[column].iloc[spine_codes].reset_index(drop=True)
    sorted_codes = spine_codes if order is None else spine_codes[order]
    sorted_as_of = as_of_us if order is None else as_of_us[order]
    queries = _Queries(timeline, sorted_codes, sorted_as_of, _windows(feature_set))
    created_us = to_us(customers["created_at"])[sorted_codes]
    columns = _Columns(feature_set.features, len(spine))
    # numpy's searches and gathers release the GIL: definitions run side by side
    with ThreadPoolExecutor(max_workers=_threads(n_jobs)) as pool:
        list(pool.map(lambda d: _compute(d, queries, created_us, columns), feature_set.features))
    return pd.concat([pd.DataFrame(out), columns.frame(order)], axis=1)


def _query_order(codes: np.ndarray, as_of_us: np.ndarray) -> np.ndarray | None:
    """The permutation that sorts queries by (customer, as_of); None if they already are."""
    if len(codes) < 2:
        return None
    step = np.diff(codes)
    if ((step > 0) | ((step == 0) & (np.diff(as_of_us) >= 0))).all():
        return None
    return np.lexsort((as_of_us, codes))


class _Columns:
    """Preallocated (features, rows) blocks, one per dtype, that features write into.

    A (features, rows) array in C order is how pandas stores a block, so the frame is made
    without copying; counts are int32, everything else float64.
    """

    def __init__(self, definitions: Sequence[FeatureDefinition], rows: int) -> None:
        self.names = [f.name for d in definitions for f in expand(d)]
        dtypes = {
            f.name: np.int32 if d.agg in ("count", "distinct_count") else np.float64
            for d in definitions
            for f in expand(d)
        }
        self.blocks: dict[type, tuple[list[str], np.ndarray]] = {}
        for dtype in dict.fromkeys(dtypes.values()):
            names = [n for n in self.names if dtypes[n] is dtype]
            self.blocks[dtype] = (names, np.empty((len(names), rows), dtype=dtype))
        self._where = {n: (dtypes[n], self.blocks[dtypes[n]][0].index(n)) for n in self.names}

    def __getitem__(self, name: str) -> np.ndarray:
        dtype, row = self._where[name]
        return self.blocks[dtype][1][row]

    def frame(self, order: np.ndarray | None) -> pd.DataFrame:
        """The features back in spine order."""
        restore = None
        if order is not None:
            restore = np.empty_like(order)
            restore[order] = np.arange(len(order))
        parts = []
        for names, block in self.blocks.values():
            values = block if restore is None else block[:, restore]
            parts.append(pd.DataFrame(values.T, columns=names, copy=False))
        if not parts:
            return pd.DataFrame()
        return pd.concat(parts, axis=1)[self.names]


def _threads(n_jobs: int | None) -> int:
    return max(1, n_jobs if n_jobs is not None else min(os.cpu_count() or 1, 4))


def _windows(feature_set: FeatureSetDefinition) -> set[int | str]:
    windows = {w for d in feature_set.features for w in d.windows}
    return windows | {w for d in feature_set.features for w in (d.short, d.long) if w}


def _longest_window(feature_set: FeatureSetDefinition) -> int:
    return max((w for w in _windows(feature_set) if w != "all"), default=0)


class _Queries:
    """Answers window questions for every spine point against one timeline.

    Query keys per window and end positions per subset are computed once and shared by
    all features; the caches are filled under a lock, as threads share this object.
    """

    def __init__(
        self, timeline: Timeline, codes: np.ndarray, as_of_us: np.ndarray, windows: set
    ) -> None:
        self.timeline = timeline
        self.buckets = (
            _Buckets(timeline, codes, as_of_us, windows) if _Buckets.suitable(as_of_us) else None
        )
        self.codes = codes
        self.as_of_us = as_of_us
        self.codec = timeline.codec
        self._lock = threading.Lock()
        self._subsets: dict[tuple, EventSubset] = {}
        self._keys: dict[int | str, np.ndarray] = {}
        self._ends: dict[int, np.ndarray] = {}

    def _cached(self, cache: dict, key: object, make: Callable[[], np.ndarray]):
        with self._lock:
            if key in cache:
                return cache[key]
        value = make()
        with self._lock:
            return cache.setdefault(key, value)

    def subset(self, where: EventFilter, extra: tuple[str, str] | None = None) -> EventSubset:
        items = tuple(where.items()) + ((extra,) if extra else ())

        def make() -> EventSubset:
            if not items:
                return self.timeline.all
            mask = np.ones(len(self.timeline.codes), dtype=bool)
            for column, values in where.items():
                mask &= self.column(column).isin(values)
            if extra is not None:
                mask &= self.column(extra[0]).isin((extra[1],))
            return self.timeline.subset(mask)

        return self._cached(self._subsets, items, make)

    def column(self, column: str) -> CodedColumn:
        values = self.timeline.columns.get(column)
        if values is None:
            raise InputError(
                f"events: a feature filters on '{column}', and events have no such column"
            )
        return values

    def keys(self, window: int | str | None) -> np.ndarray:
        """Query keys: the as-of moment (None), a window's start, or the customer's start."""

        def make() -> np.ndarray:
            if window is None:
                return self.codec.encode(self.codes, self.as_of_us)
            if window == "all":
                return self.codes.astype(np.int64) << self.codec.shift
            return self.codec.encode(self.codes, self.as_of_us - int(window) * US_PER_DAY)

        return self._cached(self._keys, window, make)

    def end(self, subset: EventSubset) -> np.ndarray:
        """Per point: how many of the subset's events lie before its as-of moment."""
        return self._cached(self._ends, id(subset), lambda: subset.before(self.keys(None)))

    def window(self, subset: EventSubset, window: int | str) -> tuple[np.ndarray, np.ndarray]:
        """(first, end) positions in ``subset`` of each point's events in the window."""
        return subset.before(self.keys(window)), self.end(subset)

    def counts(self, subset: EventSubset, windows: Sequence[int | str]) -> list[np.ndarray]:
        """Per point and window: how many of the subset's events fall in the window."""
        if self.buckets is not None:
            return self.buckets.counts(subset, windows)
        end = self.end(subset)
        return [end - subset.before(self.keys(w)) for w in windows]


class _Buckets:
    """Window counts for spines with few distinct as-of moments (training snapshots).

    Every window edge of every as-of moment is a boundary; each event falls in one bucket
    between boundaries, and per customer a cumulative count over buckets gives the number
    of events before any boundary. One pass over the events per filter then answers all
    windows of all snapshots, exactly, with no binary search per spine point.
    """

    MAX_MOMENTS = 64

    def __init__(
        self, timeline: Timeline, codes: np.ndarray, as_of_us: np.ndarray, windows: set
    ) -> None:
        moments = np.unique(as_of_us)
        edges = {int(m) for m in moments}
        edges |= {int(m) - int(w) * US_PER_DAY for m in moments for w in windows if w != "all"}
        self.boundaries = np.array(sorted(edges), dtype=np.int64)
        self.n_customers = int(timeline.codes.max()) + 1 if len(timeline.codes) else 1
        self.n_customers = max(self.n_customers, int(codes.max()) + 1 if len(codes) else 1)
        self.bucket = np.searchsorted(self.boundaries, timeline.times_us, side="right")
        self.width = len(self.boundaries) + 1
        row_start = codes.astype(np.int64) * self.width
        # flat positions in the (customer, bucket) table of each point's window edges
        self.end_at = row_start + np.searchsorted(self.boundaries, as_of_us)
        self.start_at = {
            w: row_start + np.searchsorted(self.boundaries, as_of_us - int(w) * US_PER_DAY)
            for w in windows
            if w != "all"
        }

    @classmethod
    def suitable(cls, as_of_us: np.ndarray) -> bool:
        return len(as_of_us) > 0 and len(np.unique(as_of_us)) <= cls.MAX_MOMENTS

    def counts(self, subset: EventSubset, windows: Sequence[int | str]) -> list[np.ndarray]:
        flat = subset.codes.astype(np.int64) * self.width + self.bucket[subset.rows]
        per_bucket = np.bincount(flat, minlength=self.n_customers * self.width)
        per_bucket = per_bucket.reshape(self.n_customers, self.width)
        # before[c, k]: events of c in buckets 0..k = events strictly before boundaries[k]
        before = np.cumsum(per_bucket, axis=1, dtype=np.int32).ravel()
        end = before.take(self.end_at)
        return [end if w == "all" else end - before.take(self.start_at[w]) for w in windows]


def _compute(
    definition: FeatureDefinition, q: _Queries, created_us: np.ndarray, out: _Columns
) -> None:
    names = [f.name for f in expand(definition)]
    agg = definition.agg
    if agg == "days_since_created":
        np.divide(q.as_of_us - created_us, US_PER_DAY, out=out[names[0]])
        return
    subset = q.subset(definition.where)
    if agg == "count":
        counted = q.counts(subset, definition.windows)
        for name, values in zip(names, counted, strict=True):
            out[name][:] = values
    elif agg == "sum":
        cumulative = np.concatenate(
            [[0.0], np.cumsum(np.nan_to_num(q.timeline.values[subset.rows]))]
        )
        for name, window in zip(names, definition.windows, strict=True):
            start, end = q.window(subset, window)
            np.subtract(cumulative[end], cumulative[start], out=out[name])
    elif agg == "distinct_count":
        _distinct(definition, names, q, out)
    elif agg == "days_since_last":
        end = q.end(subset)
        previous = np.maximum(end - 1, 0)
        if len(subset.codes):
            seen = (end > 0) & (subset.codes[previous] == q.codes)
            days = (q.as_of_us - subset.times_us[previous]) / US_PER_DAY
        else:
            seen, days = np.zeros(len(end), dtype=bool), np.zeros(len(end))
        out[names[0]][:] = np.where(seen, days, np.nan)
    elif agg == "trend":
        recent, longer = q.counts(subset, [definition.short, definition.long])
        reference = longer * (definition.short / definition.long)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[names[0]][:] = np.where(reference > 0, recent / reference, np.nan)
    else:
        raise AssertionError(f"unhandled aggregation {agg}")


def _distinct(definition: FeatureDefinition, names: list[str], q: _Queries, out: _Columns) -> None:
    column = definition.column
    values = q.column(column)
    base = q.subset(definition.where)
    seen = np.unique(values.codes[base.rows])
    present = values.categories[seen[seen >= 0]]
    if len(present) > MAX_DISTINCT_CATEGORIES:
        raise InputError(
            f"feature '{definition.name}': distinct_count over '{column}' with "
            f"{len(present)} values; it supports at most {MAX_DISTINCT_CATEGORIES}"
        )
    totals = [out[name] for name in names]
    for total in totals:
        total[:] = 0
    for value in present:
        counted = q.counts(q.subset(definition.where, (column, value)), definition.windows)
        for total, values in zip(totals, counted, strict=True):
            total += values > 0
