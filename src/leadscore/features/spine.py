"""Spines (which customers, as of when) and labels for feature tables.

A spine lists the (customer_id, as_of) points to build features for, like Feast's entity
data frame. The label of a point is whether the customer converted in (as_of, as_of +
horizon]; points whose horizon reaches past the end of the data are left out of training
sets, because their label is not known yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from leadscore.common.time import to_utc
from leadscore.data.loading import CanonicalData

WARMUP = pd.Timedelta(days=84)


def snapshot_spine(customers: pd.DataFrame, dates: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """For each date, every customer created before it, ordered by (customer_id, as_of).

    ``customer_id`` is a categorical: feature building then needs no string lookups.
    """
    ids = customers["customer_id"].astype("str")
    order = np.argsort(ids.to_numpy())
    categories = pd.Index(ids.to_numpy()[order], dtype="str")
    created = customers["created_at"].iloc[order]
    codes, moments = [], []
    for date in sorted(to_utc(d) for d in dates):
        known = np.flatnonzero((created < date).to_numpy())
        codes.append(known)
        moments.append(np.full(len(known), date.as_unit("ns").value // 1_000, dtype=np.int64))
    code_array = np.concatenate(codes) if codes else np.array([], dtype=np.int64)
    moment_array = np.concatenate(moments) if moments else np.array([], dtype=np.int64)
    by_customer = np.lexsort((moment_array, code_array))  # each customer's history together
    code_array, moment_array = code_array[by_customer], moment_array[by_customer]
    return pd.DataFrame(
        {
            "customer_id": pd.Categorical.from_codes(code_array, categories=categories),
            "as_of": pd.to_datetime(moment_array, unit="us", utc=True),
        }
    )


def creation_spine(customers: pd.DataFrame) -> pd.DataFrame:
    """One point per customer at its creation: for flat exports, where the row is the lead."""
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].astype("str").to_numpy(),
            "as_of": customers["created_at"].reset_index(drop=True),
        }
    )


def data_end(data: CanonicalData) -> pd.Timestamp:
    """The latest moment the data has seen."""
    candidates = [data.customers["created_at"].max()]
    for table in (data.events, data.outcomes):
        if len(table):
            candidates.append(table["ts"].max())
    return max(candidates)


def default_snapshot_dates(
    data: CanonicalData, *, horizon_days: int, every_days: int = 28
) -> list[pd.Timestamp]:
    """Every ``every_days`` from 12 weeks after the first customer until the last full horizon."""
    start = data.customers["created_at"].min().floor("D") + WARMUP
    end = data_end(data) - pd.Timedelta(days=horizon_days)
    if start > end:
        return []
    return list(pd.date_range(start, end, freq=f"{every_days}D"))


def converted_within(
    spine: pd.DataFrame, outcomes: pd.DataFrame, *, horizon_days: int
) -> np.ndarray:
    """For each spine point: did the customer convert in (as_of, as_of + horizon]?"""
    if outcomes.empty:
        return np.zeros(len(spine), dtype=bool)
    points = pd.DataFrame(
        {
            "customer_id": spine["customer_id"].astype("str").to_numpy(),
            "as_of": spine["as_of"].to_numpy(),
            "_row": np.arange(len(spine)),
        }
    ).sort_values("as_of", kind="stable")
    conversions = pd.DataFrame(
        {
            "customer_id": outcomes["customer_id"].astype("str").to_numpy(),
            "next_ts": outcomes["ts"].to_numpy(),
        }
    ).sort_values("next_ts", kind="stable")
    conversions["as_of"] = conversions["next_ts"]
    matched = pd.merge_asof(
        points,
        conversions,
        on="as_of",
        by="customer_id",
        direction="forward",
        allow_exact_matches=False,
    )
    within = matched["next_ts"].notna() & (
        matched["next_ts"] <= matched["as_of"] + pd.Timedelta(days=horizon_days)
    )
    out = np.zeros(len(spine), dtype=bool)
    out[matched["_row"].to_numpy()] = within.to_numpy()
    return out
