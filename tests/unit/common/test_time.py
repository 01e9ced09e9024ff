"""Every moment in UTC."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from leadscore.common.time import iso_utc, retry_after_seconds, to_utc


def test_naive_moments_are_taken_as_utc_and_aware_ones_converted() -> None:
    assert to_utc("2026-03-01T09:30") == pd.Timestamp("2026-03-01T09:30", tz="UTC")
    assert to_utc(datetime(2026, 3, 1, 9, 30)) == pd.Timestamp("2026-03-01T09:30", tz="UTC")
    berlin = pd.Timestamp("2026-03-01T10:30", tz="Europe/Berlin")
    assert to_utc(berlin) == pd.Timestamp("2026-03-01T09:30", tz="UTC")
    assert str(to_utc(berlin).tz) == "UTC"


def test_an_answer_states_a_moment_in_utc_to_the_millisecond_with_z() -> None:
    assert iso_utc(pd.Timestamp("2026-12-07 10:00:01.23456+01:00")) == "2026-12-07T09:00:01.234Z"
    assert iso_utc(pd.Timestamp("2026-12-07 09:00")) == "2026-12-07T09:00:00.000Z"


def test_a_retry_after_header_is_read_as_seconds_or_as_an_http_date() -> None:
    now = pd.Timestamp("2026-12-01 09:00", tz="UTC")
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Tue, 01 Dec 2026 09:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Tue, 01 Dec 2026 09:01:30", now) == 90.0  # no zone: UTC
    assert retry_after_seconds("Tue, 01 Dec 2026 08:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None
