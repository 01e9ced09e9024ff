"""Splits: by time, ordered and purged; stratified, keeping the positive rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.training.splits import stratified_split, time_split


def test_time_split_is_ordered_and_purged() -> None:
    dates = pd.Series(
        pd.to_datetime(np.repeat(pd.date_range("2024-01-01", periods=20, freq="28D"), 10), utc=True)
    )
    split = time_split(dates, validation=0.15, test=0.15, horizon_days=30)
    assert dates.iloc[split.train].max() < dates.iloc[split.validation].min()
    assert dates.iloc[split.validation].max() < dates.iloc[split.test].min()
    # no training label window reaches into validation
    gap = dates.iloc[split.validation].min() - dates.iloc[split.train].max()
    assert gap >= pd.Timedelta(days=30)


def test_time_split_refuses_when_a_part_is_empty() -> None:
    dates = pd.Series(pd.to_datetime(["2024-01-01"] * 10 + ["2024-01-15"] * 10, utc=True))
    with pytest.raises(InputError, match="no train rows"):
        time_split(dates, validation=0.15, test=0.15, horizon_days=30)


def test_stratified_split_keeps_the_positive_rate() -> None:
    label = np.arange(1000) % 10 == 0
    split = stratified_split(label, validation=0.1, test=0.2, seed=0)
    assert label[split.test].mean() == pytest.approx(0.1, abs=0.01)
    assert len(set(split.train) & set(split.test)) == 0


def test_a_test_start_date_fixes_the_test_and_validation_comes_just_before_it() -> None:
    days = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC"))
    start = pd.Timestamp("2024-03-15", tz="UTC")
    split = time_split(days, validation=0.2, test=0.1, horizon_days=0, test_from=start)
    assert days.iloc[split.test].min() == start and len(split.test) == 100 - 74
    assert len(split.validation) == 20  # the validation share of all rows, before the test
    assert days.iloc[split.validation].max() < start
    assert days.iloc[split.train].max() < days.iloc[split.validation].min()
