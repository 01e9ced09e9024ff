"""Moments as whole microseconds since the epoch, UTC."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.store.moments import from_micros, micros, to_micros


def test_moments_go_to_microseconds_and_back_unchanged() -> None:
    stamps = ["1970-01-01 00:00:00", "2026-06-29 12:34:56.123456", "1969-12-31 23:59:59.999999"]
    moments = pd.Series([pd.Timestamp(s, tz="UTC") for s in stamps])
    values = to_micros(moments)
    assert values.dtype == np.int64
    epoch = pd.Timestamp(0, tz="UTC")
    assert values.tolist() == [(m - epoch) // pd.Timedelta(microseconds=1) for m in moments]
    assert values[0] == 0 and values[2] == -1
    assert from_micros(values).tolist() == moments.tolist()


def test_a_moment_in_another_zone_is_the_same_instant_in_microseconds() -> None:
    berlin = pd.Series([pd.Timestamp("2026-06-29 14:00", tz="Europe/Berlin")])
    utc = pd.Series([pd.Timestamp("2026-06-29 12:00", tz="UTC")])
    assert to_micros(berlin).tolist() == to_micros(utc).tolist()
    assert micros(berlin.iat[0]) == micros(utc.iat[0]) == to_micros(utc)[0]


def test_a_naive_moment_is_read_as_utc() -> None:
    assert micros(pd.Timestamp("2026-01-01 00:00:01")) == micros(
        pd.Timestamp("2026-01-01 00:00:01", tz="UTC")
    )
    assert micros(pd.Timestamp("1970-01-01 00:00:00.000002")) == 2


def test_nanoseconds_below_a_microsecond_are_dropped() -> None:
    stamp = pd.Timestamp("2026-01-01 00:00:00.000001999", tz="UTC")
    assert micros(stamp) == micros(pd.Timestamp("2026-01-01 00:00:00.000001", tz="UTC"))
    assert to_micros(pd.Series([stamp]))[0] == micros(stamp)


def test_microseconds_come_back_as_utc_moments() -> None:
    back = from_micros([0, 1_000_000])
    assert str(back.dt.tz) == "UTC"
    assert back.tolist() == [
        pd.Timestamp("1970-01-01 00:00:00", tz="UTC"),
        pd.Timestamp("1970-01-01 00:00:01", tz="UTC"),
    ]
