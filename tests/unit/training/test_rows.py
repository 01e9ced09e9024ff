"""What a training job checks of a feature table's parts before it trains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leadscore.common.errors import InputError
from leadscore.training.config import TrainingConfig
from leadscore.training.rows import check_counts, check_enough_data, shortfall

CONFIG = TrainingConfig(
    model="conversion", source=Path("crm"), min_positives=5, min_negatives=10, horizon_days=21
)


def test_nothing_falls_short_at_the_minimum_counts() -> None:
    assert shortfall(5, 10, CONFIG) == []


def test_each_class_below_its_minimum_is_named_with_what_it_needs() -> None:
    assert shortfall(4, 10, CONFIG) == ["4 positives (need 5)"]
    assert shortfall(5, 9, CONFIG) == ["9 negatives (need 10)"]
    assert shortfall(0, 3, CONFIG, names=("takers", "others")) == [
        "0 takers (need 5)",
        "3 others (need 10)",
    ]


def test_too_few_rows_stop_training_with_what_to_change_in_the_config() -> None:
    with pytest.raises(InputError) as raised:
        check_counts(2, 3, CONFIG, part="validation")
    message = str(raised.value)
    assert message.startswith(
        "not enough data to train: the validation period has 2 positives (need 5) and "
        "3 negatives (need 10)."
    )
    assert "horizon_days (now 21" in message
    check_counts(5, 10, CONFIG)  # enough: no error


def test_the_counts_of_a_label_are_its_trues_and_falses() -> None:
    check_enough_data(np.array([True] * 5 + [False] * 10), CONFIG)
    with pytest.raises(InputError, match="the training period has 4 positives"):
        check_enough_data(np.array([True] * 4 + [False] * 11), CONFIG)
    with pytest.raises(InputError, match="the test period has 9 negatives"):
        check_enough_data(np.array([True] * 6 + [False] * 9), CONFIG, "test")
