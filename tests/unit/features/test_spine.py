"""Spines of (customer, as_of) points, and whether each point converted in its horizon."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.features.spine import (
    WARMUP,
    converted_within,
    creation_spine,
    data_end,
    default_snapshot_dates,
    snapshot_spine,
)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["c3", "c1", "c2"],
        "created_at": [_utc("2026-01-10"), _utc("2026-01-01"), _utc("2026-02-01")],
    }
)


def test_a_snapshot_holds_the_customers_created_before_each_date_by_customer_then_date() -> None:
    spine = snapshot_spine(CUSTOMERS, [_utc("2026-03-01"), pd.Timestamp("2026-01-15")])
    assert list(zip(spine["customer_id"].astype(str), spine["as_of"], strict=True)) == [
        ("c1", _utc("2026-01-15")),  # a date without a zone is UTC
        ("c1", _utc("2026-03-01")),
        ("c2", _utc("2026-03-01")),
        ("c3", _utc("2026-01-15")),
        ("c3", _utc("2026-03-01")),
    ]
    assert isinstance(spine["customer_id"].dtype, pd.CategoricalDtype)
    assert str(spine["as_of"].dt.tz) == "UTC"


def test_a_customer_created_at_the_snapshot_moment_is_not_in_it() -> None:
    spine = snapshot_spine(CUSTOMERS, [_utc("2026-02-01")])
    assert spine["customer_id"].astype(str).tolist() == ["c1", "c3"]


def test_a_spine_without_dates_is_empty() -> None:
    spine = snapshot_spine(CUSTOMERS, [])
    assert spine.empty and list(spine.columns) == ["customer_id", "as_of"]


def test_a_creation_spine_has_one_point_per_customer_at_its_creation() -> None:
    spine = creation_spine(CUSTOMERS)
    assert spine["customer_id"].tolist() == ["c3", "c1", "c2"]
    assert spine["as_of"].tolist() == CUSTOMERS["created_at"].tolist()


def test_a_point_converted_only_by_a_conversion_after_it_and_within_the_horizon() -> None:
    spine = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c2", "c3", "c1"],
            "as_of": [
                _utc("2026-03-01"),  # c1 converts 2026-03-31: exactly 30 days on
                _utc("2026-02-28"),  # 31 days before it
                _utc("2026-03-01"),  # c2 converts at the very moment: not after
                _utc("2026-03-01"),  # c3 never converts
                _utc("2026-04-01"),  # after c1's conversion, none after that
            ],
        }
    )
    outcomes = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "ts": [_utc("2026-03-31"), _utc("2026-03-01")],
        }
    )
    converted = converted_within(spine, outcomes, horizon_days=30)
    assert converted.tolist() == [True, False, False, False, False]


def test_the_next_conversion_counts_when_an_earlier_one_lies_before_the_point() -> None:
    spine = pd.DataFrame({"customer_id": ["c1"], "as_of": [_utc("2026-03-01")]})
    outcomes = pd.DataFrame(
        {"customer_id": ["c1", "c1"], "ts": [_utc("2026-02-01"), _utc("2026-03-10")]}
    )
    assert converted_within(spine, outcomes, horizon_days=30).tolist() == [True]


def test_without_outcomes_no_point_converted() -> None:
    spine = creation_spine(CUSTOMERS)
    outcomes = pd.DataFrame(
        {"customer_id": pd.Series(dtype=str), "ts": pd.Series(dtype="datetime64[us, UTC]")}
    )
    converted = converted_within(spine, outcomes, horizon_days=30)
    assert converted.dtype == bool and not converted.any() and len(converted) == 3


def test_the_data_ends_at_its_latest_customer_event_or_outcome(data: CanonicalData) -> None:
    end = data_end(data)
    latest = max(
        data.customers["created_at"].max(), data.events["ts"].max(), data.outcomes["ts"].max()
    )
    assert end == latest


def test_default_snapshots_start_after_the_warmup_and_leave_a_full_horizon(
    data: CanonicalData,
) -> None:
    dates = default_snapshot_dates(data, horizon_days=30, every_days=28)
    assert len(dates) > 2
    assert dates[0] == data.customers["created_at"].min().floor("D") + WARMUP
    assert {b - a for a, b in pairwise(dates)} == {pd.Timedelta(days=28)}
    assert dates[-1] <= data_end(data) - pd.Timedelta(days=30)
    assert dates[-1] + pd.Timedelta(days=28) > data_end(data) - pd.Timedelta(days=30)


def test_no_default_snapshots_where_the_history_is_shorter_than_warmup_and_horizon(
    data: CanonicalData,
) -> None:
    span = (data_end(data) - data.customers["created_at"].min()).days
    assert default_snapshot_dates(data, horizon_days=span) == []


def test_a_later_outcome_than_any_event_moves_the_end_of_the_data(data: CanonicalData) -> None:
    later = data_end(data) + pd.Timedelta(days=3)
    outcomes = data.outcomes.copy()
    outcomes.loc[outcomes.index[0], "ts"] = later
    assert data_end(replace(data, outcomes=outcomes)) == later
    customers = data.customers.copy()
    customers.loc[customers.index[0], "created_at"] = later + pd.Timedelta(days=1)
    assert data_end(replace(data, customers=customers)) == later + pd.Timedelta(days=1)
