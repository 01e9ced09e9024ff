"""Records sent over HTTP become canonical tables by the rules files are read by."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from leadscore.data.parsing import TIMESTAMP_DTYPE
from leadscore.data.records import information, record_tables
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
    tables = record_tables(records, now=NOW)
    customers, events = tables.customers, tables.events
    assert tables.problems == {} and tables.accepted == [0, 1]
    # records go by their place in the request: two records of one customer never collide
    assert customers["customer_id"].tolist() == ["record-0", "record-1"]
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
    assert events["customer_id"].tolist() == ["record-0", "record-0"]


def test_records_without_events_give_an_empty_events_table() -> None:
    events = record_tables([{"customer_id": "C-9", "profile": {}}], now=NOW).events
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
    good = {"customer_id": "C-1", "events": [{"ts": "2026-06-01", "event_type": "x"}]}
    tables = record_tables([good, record], now=NOW, positions=[3, 7])
    (problem,) = tables.problems.values()
    assert list(tables.problems) == [1] and tables.accepted == [0]  # the good lead stays
    assert re.search(where.replace("0", "7", 1), problem), problem  # its place in the request
    assert "cannot be read as" in problem and "write" in problem  # and what to write instead
    assert set(tables.events["customer_id"]) == {"record-0"}


@pytest.mark.parametrize(
    ("record", "needle"),
    [
        ({"created_at": "9999-01-01T00:00:00Z"}, "leads[0].created_at: 9999-01-01"),
        (
            {"events": [{"ts": "2027-01-01T00:00:00Z", "event_type": "x"}]},
            "leads[0].events[0].ts: 2027-01-01 00:00:00+00:00 timestamp lies in the future",
        ),
        (
            {
                "created_at": "2026-06-01T00:00:00Z",
                "events": [{"ts": "2026-05-01T00:00:00Z", "event_type": "x"}],
            },
            "lies before the lead's created_at",
        ),
        ({"events": [{"ts": "1" * 1000, "event_type": "x"}]}, "(1,000 characters)"),
    ],
)
def test_times_a_rep_would_read_as_nonsense_refuse_the_lead(record: dict, needle: str) -> None:
    (problem,) = record_tables([record], now=NOW).problems.values()
    assert needle in problem
    if "future" in problem or "9999" in needle:  # no source config to name a zone in
        assert "without an offset is read in UTC" in problem and "source config" not in problem


def test_a_record_without_created_at_came_in_with_its_first_event() -> None:
    events = [
        {"ts": "2026-03-02T00:00:00Z", "event_type": "x"},
        {"ts": "2026-02-01T00:00:00Z", "event_type": "x"},
    ]
    customers = record_tables([{"events": events}], now=NOW).customers
    assert customers["created_at"].tolist() == [pd.Timestamp("2026-02-01", tz="UTC")]


def test_unknown_event_types_refuse_only_their_lead() -> None:
    records = [
        {"events": [{"ts": "2026-06-01", "event_type": "page_view"}]},
        {"events": [{"ts": "2026-06-01", "event_type": "foo_bar"}]},
    ]
    tables = record_tables(records, now=NOW, event_types=frozenset({"page_view"}))
    assert tables.accepted == [0]
    assert tables.problems[1].startswith("leads[1].events[0].event_type: 'foo_bar' is not")


def test_a_records_time_without_an_offset_is_read_in_the_zone_given_and_epochs_are_read() -> None:
    record = {
        "created_at": "2026-06-29T09:00:00",  # Berlin, summer: 07:00 UTC
        "events": [{"ts": 1_782_720_000_000, "event_type": "visit"}],  # ms: 08:00 UTC
    }
    tables = record_tables([record], now=NOW, timezone="Europe/Berlin")
    assert tables.problems == {}
    assert tables.customers["created_at"].iat[0] == pd.Timestamp("2026-06-29 07:00", tz="UTC")
    assert tables.events["ts"].iat[0] == pd.Timestamp("2026-06-29 08:00", tz="UTC")
    as_utc = record_tables([record], now=NOW)  # the default zone
    assert as_utc.customers["created_at"].iat[0] == pd.Timestamp("2026-06-29 09:00", tz="UTC")


def test_display_fields_alone_tell_nothing_of_a_lead() -> None:
    named = {"profile": {"name": "Anna Schmidt", "phone": "+49 30 5550123", "owner": "Jan"}}
    assert information(named) == 0
    more = {"profile": {**named["profile"], "industry": "software", "country": ""}}
    assert information(more) == 1
    assert information({**more, "events": [{"event_type": "page_view"}] * 2}) == 3
