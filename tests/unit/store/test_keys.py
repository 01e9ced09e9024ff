"""The key of an appended row: its sender's event_id, else a digest of its content."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.store.keys import row_keys

COLUMNS = ["customer_id", "ts", "event_type", "value"]


def _events(**changes: list) -> pd.DataFrame:
    frame = {
        "customer_id": ["c1", "c2"],
        "ts": [1_000_000, 2_000_000],
        "event_type": ["visit", "download"],
        "value": [1.5, 2.0],
    }
    return pd.DataFrame({**frame, **changes})


def test_the_same_rows_get_the_same_keys_however_often_they_come() -> None:
    once = row_keys("events", _events(), COLUMNS)
    again = row_keys("events", _events(), COLUMNS)
    assert once.tolist() == again.tolist()
    assert once[0] != once[1]


def test_a_change_to_any_keyed_column_changes_the_key() -> None:
    base = row_keys("events", _events(), COLUMNS)
    for column, values in {
        "customer_id": ["c9", "c2"],
        "ts": [1_000_001, 2_000_000],
        "event_type": ["email", "download"],
        "value": [1.25, 2.0],
    }.items():
        changed = row_keys("events", _events(**{column: values}), COLUMNS)
        assert changed[0] != base[0], column
        assert changed[1] == base[1], column


def test_the_same_row_in_another_table_has_another_key() -> None:
    assert row_keys("events", _events(), COLUMNS)[0] != row_keys("offers", _events(), COLUMNS)[0]


def test_every_kind_of_missing_value_keys_alike() -> None:
    keys = [
        row_keys("events", _events(value=[missing, 2.0]), COLUMNS)[0]
        for missing in (None, np.nan, pd.NA)
    ]
    assert len(set(keys)) == 1
    assert keys[0] != row_keys("events", _events(value=[0.0, 2.0]), COLUMNS)[0]


def test_values_are_not_run_together_across_columns() -> None:
    one = pd.DataFrame({"a": ["xy"], "b": [""]})
    other = pd.DataFrame({"a": ["x"], "b": ["y"]})
    assert row_keys("t", one, ["a", "b"])[0] != row_keys("t", other, ["a", "b"])[0]


def test_a_row_with_an_event_id_goes_by_it_and_one_without_by_its_content() -> None:
    plain = row_keys("events", _events(), COLUMNS)
    with_ids = _events(event_id=["evt-1", None])
    keys = row_keys("events", with_ids, COLUMNS)
    assert keys[0] == "id:evt-1"
    assert keys[1] == plain[1]
    # a second delivery of evt-1 with other content counts as the same row
    resent = _events(event_id=["evt-1", None], value=[99.0, 2.0])
    assert row_keys("events", resent, COLUMNS)[0] == keys[0]


def test_an_empty_event_id_counts_as_none() -> None:
    keys = row_keys("events", _events(event_id=["", pd.NA]), COLUMNS)
    assert keys.tolist() == row_keys("events", _events(), COLUMNS).tolist()


def test_a_long_event_id_is_digested_to_fit_the_key_column() -> None:
    longest_kept, too_long = "e" * 61, "e" * 62
    keys = row_keys("events", _events(event_id=[longest_kept, too_long]), COLUMNS)
    assert keys[0] == f"id:{longest_kept}"
    assert keys[1].startswith("id#") and len(keys[1]) <= 64
    other = row_keys("events", _events(event_id=["f" * 62, None]), COLUMNS)
    assert other[0] != keys[1]
    assert all(len(k) <= 64 for k in row_keys("events", _events(), COLUMNS))
