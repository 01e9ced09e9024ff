"""Moments in time: leadscore keeps every timestamp in UTC."""

from __future__ import annotations

from datetime import datetime

import pandas as pd


def to_utc(moment: pd.Timestamp | datetime | str) -> pd.Timestamp:
    """``moment`` in UTC; a moment without a time zone is taken to be UTC already."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def iso_utc(moment: pd.Timestamp) -> str:
    """``moment`` as an API answers it: ISO 8601 in UTC to the millisecond, with ``Z``."""
    return to_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")
