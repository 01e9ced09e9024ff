"""Records sent over HTTP become canonical tables by the rules files are read by."""

from __future__ import annotations

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.parsing import TIMESTAMP_DTYPE
from leadscore.data.records import record_tables
from leadscore.data.tables import column_names

NOW = pd.Timestamp("2026-06-29T12:00", tz="UTC")


def test_records_become_customers_and_events_in_canonical_kinds() -> None:
    records = [
        {
            "customer_id": "C-1",
            "created_at": "2026-01-05T10:00:00+01:00",
            "profile": {"industry": "retail", "employees": 40},
            "events": [
                {"ts": "2026-06-01T09:00:00Z", "event_type": "page_view", "channel": "web"},
                {"ts": "2026-06-02 09:00:00", "event_type": "download", "value": 3},
            ],
        },
        {"profile": {"industry": "energy"}},
    ]
    customers, events = record_tables(records, now=NOW)
    assert customers["customer_id"].tolist() == ["C-1", "record-1"]
    assert customers["created_at"].tolist() == [pd.Timestamp("2026-01-05T09:00", tz="UTC"), NOW]
    assert customers["industry"].tolist() == ["retail", "energy"]
    assert list(events.columns) == column_names("events")
    assert events["ts"].dtype == TIMESTAMP_DTYPE
    assert events["ts"].tolist() == [
        pd.Timestamp("2026-06-01T09:00", tz="UTC"),
        pd.Timestamp("2026-06-02T09:00", tz="UTC"),  # no offset: UTC
    ]
    assert isinstance(events["event_type"].dtype, pd.CategoricalDtype)
    assert events["value"].tolist()[1] == 3.0 and pd.isna(events["value"].iloc[0])
    assert events["customer_id"].tolist() == ["C-1", "C-1"]


def test_records_without_events_give_an_empty_events_table() -> None:
    _, events = record_tables([{"customer_id": "C-9", "profile": {}}], now=NOW)
    assert events.empty and list(events.columns) == column_names("events")


@pytest.mark.parametrize(
    ("record", "where"),
    [
        ({"events": [{"ts": "yesterday", "event_type": "x"}]}, r"leads\[0\]\.events\[0\]\.ts"),
        ({"created_at": "06.01.2025 12:00"}, r"leads\[0\]\.created_at"),
        ({"events": [{"ts": "2026-06-01", "event_type": "x", "value": "n/a"}]}, "value"),
    ],
)
def test_a_value_that_cannot_be_read_names_the_lead_and_field(record: dict, where: str) -> None:
    with pytest.raises(InputError, match=where) as info:
        record_tables([record], now=NOW)
    assert "cannot be read as" in str(info.value)
    assert "write" in str(info.value)  # and what to write instead
