"""The canonical tables' columns, and the empty tables a source may leave out."""

from __future__ import annotations

import pandas as pd

from leadscore.data.tables import (
    EVENT_CATEGORIES,
    column_names,
    empty_table,
    with_default_channels,
)


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
        "reward",
    ]
    assert list(empty_table("outcomes").columns) == ["customer_id", "ts", "offer_id", "value"]
    exposures = empty_table("exposures")
    assert list(exposures.columns) == ["customer_id", "ts", "offer_id", "channel", "propensity"]
    assert exposures["propensity"].dtype == "float64"


def test_event_categories_are_what_filters_and_distinct_counts_read() -> None:
    assert EVENT_CATEGORIES == ("event_type", "channel", "offer_id", "campaign")


def test_a_missing_channel_is_its_canonical_event_types_own() -> None:
    events = pd.DataFrame(
        {
            "event_type": ["page_view", "call", "made_up", "email_open"],
            "channel": ["partner_site", None, None, None],
        }
    )
    filled = with_default_channels(events)
    assert filled["channel"].astype("object").tolist()[:2] == ["partner_site", "sales"]
    assert pd.isna(filled["channel"].iat[2]) and filled["channel"].iat[3] == "email"
    assert events["channel"].isna().sum() == 3  # what it was given stays as it was
    no_column = with_default_channels(events.drop(columns="channel"))
    assert no_column["channel"].astype("object").tolist()[:2] == ["web", "sales"]
