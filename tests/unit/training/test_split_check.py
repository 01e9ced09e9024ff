"""The split check: counts of each part, and only the changes that pass on the same rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.training.config import TrainingConfig
from leadscore.training.split_check import (
    UNCHECKED_CREATION,
    SplitShortfall,
    check_moments,
    check_split,
    creation_advice,
    part_counts,
    shortfalls,
)
from leadscore.training.splits import stratified_split, time_split

MOMENTS = 20
PER_MOMENT = 50


def _rows(positives_per_moment: list[int]) -> tuple[pd.Series, np.ndarray]:
    """MOMENTS snapshots 28 days apart, PER_MOMENT rows each, the first rows positive."""
    dates = pd.date_range("2024-01-01", periods=MOMENTS, freq="28D", tz="UTC")
    as_of = pd.Series(np.repeat(dates, PER_MOMENT))
    label = np.concatenate([np.arange(PER_MOMENT) < p for p in positives_per_moment])
    return as_of, label


def _config(**values: object) -> TrainingConfig:
    return TrainingConfig(model="conversion", source=Path("crm"), **values)


def _error(as_of, label, config, *, snapshots=False) -> str:
    split = time_split(as_of, validation=0.1, test=0.1, horizon_days=0, check=False)
    with pytest.raises(InputError) as raised:
        check_split(split, label, as_of, config, horizon_days=0, snapshots=snapshots)
    return str(raised.value)


def test_counts_per_part_with_their_periods() -> None:
    as_of, label = _rows([3] * MOMENTS)
    split = time_split(as_of, validation=0.1, test=0.1, horizon_days=0)
    counts = part_counts(split, label, as_of)
    assert [(c.part, c.rows, c.positives, c.negatives) for c in counts] == [
        ("train", 800, 48, 752),
        ("validation", 100, 6, 94),
        ("test", 100, 6, 94),
    ]
    assert counts[1].describe() == (
        "validation (2025-03-24 .. 2025-04-21): 100 rows, 6 positives, 94 negatives"
    )
    assert shortfalls(counts, 10, 10) == [
        "the validation part has 6 positives (need 10)",
        "the test part has 6 positives (need 10)",
    ]


def test_few_positives_everywhere_offer_only_the_shares_that_pass() -> None:
    # 3 positives a moment: validation and test need 4 moments each (shares 0.2 and 0.2);
    # a stratified split's test part has 6 and the fewest any part has is 6: neither passes
    as_of, label = _rows([3] * MOMENTS)
    message = _error(as_of, label, _config(min_positives=10, min_negatives=10))
    assert message.startswith(
        "not enough data to train: the validation part has 6 positives (need 10); the test "
        "part has 6 positives (need 10). Parts of the time split: train (2024-01-01 .. "
        "2025-02-24): 800 rows, 48 positives, 752 negatives;"
    )
    assert "split: {kind: time, validation: 0.2, test: 0.2}" in message
    assert "validation 12 positives, test 12 positives" in message
    assert "kind: stratified" not in message
    assert "min_positives:" not in message
    assert "spine: creation" not in message  # one row per lead already
    shares = time_split(as_of, validation=0.2, test=0.2, horizon_days=0)
    assert not shortfalls(part_counts(shares, label), 10, 10)


def test_late_drought_offers_the_stratified_split_when_it_passes() -> None:
    as_of, label = _rows([10] * 16 + [3] * 4)
    config = _config(min_positives=10, min_negatives=10)
    message = _error(as_of, label, config, snapshots=True)
    assert "split: {kind: stratified}" in message
    stratified = stratified_split(label, validation=0.1, test=0.1, seed=config.seed)
    assert not shortfalls(part_counts(stratified, label), 10, 10)
    # snapshots: one row per lead at creation is the table to try, named as the config does
    assert "spine: creation in the training config" in message


def test_a_lower_minimum_is_offered_with_the_value_that_passes() -> None:
    as_of, label = _rows([5] * MOMENTS)
    message = _error(as_of, label, _config(min_positives=12, min_negatives=10))
    assert "min_positives: 10 (the fewest any part has" in message
    assert "min_negatives" not in message


def test_nothing_offered_when_nothing_passes() -> None:
    as_of, label = _rows([1] * MOMENTS)
    message = _error(as_of, label, _config(min_positives=40))
    assert "No other split share, split kind or lower minimum passes on this data." in message


def test_an_empty_part_is_named() -> None:
    as_of = pd.Series(pd.to_datetime(["2024-01-01"] * 10 + ["2024-01-15"] * 10, utc=True))
    label = np.arange(20) % 2 == 0
    split = time_split(as_of, validation=0.15, test=0.15, horizon_days=30, check=False)
    with pytest.raises(InputError, match="the train part has no rows"):
        check_split(split, label, as_of, _config(), horizon_days=30, snapshots=True)


def test_enough_everywhere_passes() -> None:
    as_of, label = _rows([10] * MOMENTS)
    split = time_split(as_of, validation=0.1, test=0.1, horizon_days=0)
    config = _config(min_positives=10, min_negatives=10)
    check_split(split, label, as_of, config, horizon_days=0, snapshots=True)


def test_a_table_of_snapshots_is_told_of_the_creation_spine_and_a_job_may_check_it() -> None:
    as_of, label = _rows([10] * 16 + [3] * 4)
    split = time_split(as_of, validation=0.1, test=0.1, horizon_days=0, check=False)
    config = _config(min_positives=10, min_negatives=10)
    with pytest.raises(SplitShortfall) as raised:
        check_split(split, label, as_of, config, horizon_days=0, snapshots=True)
    short = raised.value
    assert short.snapshots and UNCHECKED_CREATION in str(short)
    assert str(short) == short.message(UNCHECKED_CREATION)
    assert short.message(" checked.").endswith(" checked. Or give it more history.")


def test_the_creation_spine_is_offered_only_where_its_rows_pass() -> None:
    config = _config(min_positives=10, min_negatives=10)
    enough_as_of, enough = _rows([5] * MOMENTS)  # 10 positives in each of validation, test
    advice = creation_advice(enough, enough_as_of, config, horizon_days=0)
    assert advice == (
        " spine: creation in the training config passes on this data (checked on its labels, "
        "one row per lead at its creation: train 80 positives, validation 10 positives, "
        "test 10 positives)."
    )
    late_as_of, late = _rows([3] * MOMENTS)  # passes only with larger shares
    advice = creation_advice(late, late_as_of, config, horizon_days=0)
    assert advice.startswith(
        " spine: creation in the training config passes on this data with split: "
        "{kind: time, validation: 0.2, test: 0.2}"
    )
    few_as_of, few = _rows([1] * MOMENTS)
    assert creation_advice(few, few_as_of, config, horizon_days=0) == ""


def test_a_table_on_a_cluster_is_checked_from_its_counts_per_moment() -> None:
    as_of, label = _rows([3] * MOMENTS)
    per_moment = (
        pd.DataFrame({"as_of": as_of, "label": label})
        .groupby("as_of")["label"]
        .agg(rows="count", positives="sum")
    )
    config = _config(min_positives=10, min_negatives=10)
    with pytest.raises(SplitShortfall) as raised:
        check_moments(per_moment, config, horizon_days=0, snapshots=True)
    assert str(raised.value) == _error(as_of, label, config, snapshots=True)
    check_moments(per_moment, _config(min_positives=6), horizon_days=0, snapshots=True)
