"""The canonical tables' columns, and the empty tables a source may leave out."""

from __future__ import annotations

from leadscore.data.tables import EVENT_CATEGORIES, column_names, empty_table


def test_empty_tables_have_the_canonical_columns_and_kinds() -> None:
    events = empty_table("events")
    assert list(events.columns) == column_names("events")
    assert str(events["ts"].dtype) == "datetime64[us, UTC]"
    assert events["value"].dtype == "float64"
    assert events.empty
    assert list(empty_table("offers").columns) == [
        "offer_id",
        "name",
        "kind",
        "value",
        "currency",
        "cost",
        "valid_days",
        "name_de",
        "name_en",
    ]
    assert list(empty_table("outcomes").columns) == ["customer_id", "ts", "offer_id", "value"]
    exposures = empty_table("exposures")
    assert list(exposures.columns) == ["customer_id", "ts", "offer_id", "channel", "propensity"]
    assert exposures["propensity"].dtype == "float64"


def test_event_categories_are_what_filters_and_distinct_counts_read() -> None:
    assert EVENT_CATEGORIES == ("event_type", "channel", "offer_id", "campaign")
