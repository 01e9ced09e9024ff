"""Customers' events sorted once, so that any window as of any moment is two binary searches.

Events are keyed by (customer, time) in one int64: the customer's code in the high bits and
the time since a base moment in the low bits, at the finest unit (microsecond, millisecond
or second) that fits. Keys sort like (customer, ts), so ``searchsorted`` finds the events of
one customer before a moment. When a unit coarser than the microsecond is needed, times are
floored: an event in the same unit as the as-of moment counts as not yet seen, so a feature
can miss an event by at most one unit but never sees one from after the as-of moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.tables import EVENT_CATEGORIES

US_PER_DAY = 86_400 * 1_000_000
_UNITS = (1, 1_000, 1_000_000)


@dataclass(frozen=True)
class KeyCodec:
    """Turns (customer code, microseconds since the epoch) into one sortable int64."""

    base_us: int
    unit_us: int
    shift: int

    @classmethod
    def fitting(cls, n_customers: int, lowest_us: int, highest_us: int) -> KeyCodec:
        customer_bits = max(int(n_customers).bit_length(), 1)
        time_bits = 62 - customer_bits
        for unit in _UNITS:
            if (highest_us - lowest_us) // unit < (1 << time_bits):
                return cls(lowest_us, unit, time_bits)
        raise InputError(
            f"{n_customers:,} customers over {(highest_us - lowest_us) / US_PER_DAY:,.0f} days "
            "do not fit one partition; split the customers into partitions"
        )

    def encode(self, codes: np.ndarray, times_us: np.ndarray) -> np.ndarray:
        offset = np.maximum(times_us - self.base_us, 0) // self.unit_us
        return (codes.astype(np.int64) << self.shift) | offset


@dataclass(frozen=True)
class EventSubset:
    """The events that pass one filter, sorted by (customer, ts)."""

    keys: np.ndarray
    codes: np.ndarray
    times_us: np.ndarray
    rows: np.ndarray  # positions in the timeline's sorted event arrays

    def before(self, keys: np.ndarray) -> np.ndarray:
        """For each query key: how many events of the subset lie strictly before it."""
        return np.searchsorted(self.keys, keys, side="left")


@dataclass(frozen=True)
class CodedColumn:
    """A categorical event column as integer codes (-1 for missing) and its categories."""

    codes: np.ndarray
    categories: pd.Index

    def isin(self, values: tuple[str, ...]) -> np.ndarray:
        lookup = np.zeros(len(self.categories) + 1, dtype=bool)  # last slot: missing (-1)
        wanted = self.categories.get_indexer(list(values))
        lookup[wanted[wanted >= 0]] = True
        return lookup[self.codes]

    def take(self, index: np.ndarray) -> CodedColumn:
        return CodedColumn(self.codes[index], self.categories)


@dataclass(frozen=True)
class Timeline:
    """One partition's events, sorted once by (customer, ts), with a key codec."""

    codec: KeyCodec
    codes: np.ndarray
    times_us: np.ndarray
    keys: np.ndarray
    columns: dict[str, CodedColumn]
    values: np.ndarray

    @property
    def all(self) -> EventSubset:
        return EventSubset(self.keys, self.codes, self.times_us, np.arange(len(self.codes)))

    def subset(self, mask: np.ndarray) -> EventSubset:
        rows = np.flatnonzero(mask)
        return EventSubset(self.keys[rows], self.codes[rows], self.times_us[rows], rows)


def to_us(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Microseconds since the epoch of tz-aware UTC timestamps."""
    return np.asarray(pd.DatetimeIndex(values).as_unit("us").asi8, dtype=np.int64)


def customer_codes(ids: pd.Index, customer_id: pd.Series) -> np.ndarray:
    """Position of each row's customer in ``ids`` (-1 when unknown); fast for categoricals."""
    if isinstance(customer_id.dtype, pd.CategoricalDtype):
        per_category = ids.get_indexer(customer_id.cat.categories.astype("str"))
        codes = customer_id.cat.codes.to_numpy()
        return np.where(codes >= 0, np.append(per_category, -1)[codes], -1)
    return ids.get_indexer(customer_id.astype("str"))


def coded(values: pd.Series) -> CodedColumn:
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    categories = values.cat.categories.astype("str")
    return CodedColumn(values.cat.codes.to_numpy().astype(np.int32), categories)


def build_timeline(
    events: pd.DataFrame,
    codes: np.ndarray,
    *,
    n_customers: int,
    earliest_us: int,
    latest_us: int,
    dedupe_within_seconds: float,
) -> Timeline:
    """Sort a partition's events by (customer, ts) unless they already are; drop events of
    unknown customers and, if asked, near-repeats of the same event."""
    times = to_us(events["ts"])
    columns = {c: coded(events[c]) for c in EVENT_COLUMNS if c in events.columns}
    values = (
        events["value"].to_numpy(dtype="float64", na_value=np.nan)
        if "value" in events.columns
        else np.full(len(times), np.nan)
    )
    order = _canonical_order(codes, times, columns, values)
    if order is not None:
        codes, times, values = codes[order], times[order], values[order]
        columns = {c: v.take(order) for c, v in columns.items()}
    known = codes >= 0
    if not known.all():
        codes, times, values = codes[known], times[known], values[known]
        columns = {c: v.take(known) for c, v in columns.items()}
    if dedupe_within_seconds > 0 and len(codes) > 1:
        keep = ~_near_repeats(codes, times, columns, values, dedupe_within_seconds)
        codes, times, values = codes[keep], times[keep], values[keep]
        columns = {c: v.take(keep) for c, v in columns.items()}
    lowest = min(earliest_us, int(times.min()) if len(times) else earliest_us)
    highest = max(latest_us, int(times.max()) if len(times) else latest_us)
    codec = KeyCodec.fitting(n_customers, lowest, highest)
    return Timeline(codec, codes, times, codec.encode(codes, times), columns, values)


EVENT_COLUMNS = EVENT_CATEGORIES


def _canonical_order(
    codes: np.ndarray, times: np.ndarray, columns: dict[str, CodedColumn], values: np.ndarray
) -> np.ndarray | None:
    """The sort that makes the result independent of input order; None if already sorted.

    Ties in (customer, ts) are ordered by event type and value, so that sums add up in the
    same order whatever order the rows came in.
    """
    if len(codes) < 2:
        return None
    step_customer = np.diff(codes)
    step_time = np.diff(times)
    in_order = (step_customer > 0) | ((step_customer == 0) & (step_time > 0))
    if in_order.all():
        return None
    tie_breakers = [np.nan_to_num(values, nan=-np.inf)]
    if "event_type" in columns:
        tie_breakers.append(columns["event_type"].codes)
    return np.lexsort((*tie_breakers, times, codes))


def _near_repeats(
    codes: np.ndarray,
    times: np.ndarray,
    columns: dict[str, CodedColumn],
    values: np.ndarray,
    seconds: float,
) -> np.ndarray:
    """Events that repeat an identical earlier event (same customer, type, channel, offer
    and value) within ``seconds``, as double-fired tracking produces."""
    parts = [(codes.astype(np.int64), int(codes.max()) + 1 if len(codes) else 1)]
    for name in ("event_type", "channel", "offer_id"):
        if name in columns:
            column = columns[name]
            parts.append((column.codes.astype(np.int64) + 1, len(column.categories) + 1))
    value_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parts.append((value_codes.astype(np.int64) + 1, len(uniques) + 1))
    group = _group_ids(parts)
    order = np.lexsort((times, group))
    grouped, when = group[order], times[order]
    repeat_sorted = np.zeros(len(codes), dtype=bool)
    repeat_sorted[1:] = (grouped[1:] == grouped[:-1]) & (
        when[1:] - when[:-1] <= int(seconds * 1_000_000)
    )
    repeat = np.empty_like(repeat_sorted)
    repeat[order] = repeat_sorted
    return repeat


def _group_ids(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 per row that is equal exactly when all parts are (mixed radix)."""
    capacity = 1
    for _, size in parts:
        capacity *= size
    if capacity < 2**62:
        group = np.zeros(len(parts[0][0]), dtype=np.int64)
        for part, size in parts:
            group = group * size + part
        return group
    stacked = np.stack([p for p, _ in parts], axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].ravel().astype(np.int64)
