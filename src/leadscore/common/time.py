"""Moments in time: leadscore keeps every timestamp in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pandas as pd


def to_utc(moment: pd.Timestamp | datetime | str) -> pd.Timestamp:
    """``moment`` in UTC; a moment without a time zone is taken to be UTC already."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def iso_utc(moment: pd.Timestamp) -> str:
    """``moment`` as an API answers it: ISO 8601 in UTC to the millisecond, with ``Z``."""
    return to_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def retry_after_seconds(value: str | None, now: pd.Timestamp | None = None) -> float | None:
    """The wait an HTTP ``Retry-After`` header asks for, in seconds: delta-seconds, or an
    HTTP date (one without a zone read as UTC) counted from ``now``; None where there is
    none or it cannot be read. A date already past is no wait."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    return max(0.0, (pd.Timestamp(when) - now).total_seconds())
