"""Moments as the store holds them: whole microseconds since 1970-01-01 UTC."""

from __future__ import annotations

import numpy as np
import pandas as pd


def to_micros(moments: pd.Series) -> np.ndarray:
    """UTC timestamps (tz-aware) as int64 microseconds."""
    utc = pd.to_datetime(moments, utc=True)
    return utc.dt.tz_localize(None).astype("datetime64[us]").to_numpy().astype(np.int64)


def from_micros(values: np.ndarray | list) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(values, dtype=np.int64), unit="us", utc=True))


def micros(moment: pd.Timestamp) -> int:
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1000)
