"""Values read back from the database keep their frames' types, even where every row
read leaves a column empty."""

from __future__ import annotations

import pandas as pd

from leadscore.store.store import Store
from leadscore.store.values import json_profiles
from tests.conftest import NOW


def test_a_read_of_many_customers_keeps_the_types_of_columns_empty_at_first(database: str) -> None:
    store = Store.open(database)
    ids = [f"C-{i:04d}" for i in range(300)]
    customers = pd.DataFrame(
        {"customer_id": ids, "created_at": pd.to_datetime(["2026-01-01"] * 300, utc=True)}
    )
    store.put_customers(customers, now=NOW)
    # 299 customers' events without value or campaign, then one with both
    events = pd.DataFrame(
        {
            "customer_id": ids,
            "ts": pd.to_datetime(["2026-02-01"] * 300, utc=True),
            "event_type": ["email_open"] * 299 + ["purchase"],
            "value": [None] * 299 + [1234.5],
            "campaign": [None] * 299 + ["EM-9"],
        }
    )
    store.append("events", events, now=NOW)
    read = store.rows("events", ids, by_customer=True)
    assert len(read) == 300 and read["value"].dtype == "float64"
    last = read.iloc[-1]
    assert (last["customer_id"], last["value"], last["campaign"]) == ("C-0299", 1234.5, "EM-9")
    assert read["value"].isna().sum() == 299 and read["campaign"].isna().sum() == 299
    # a read whose rows hold no value at all has the same types
    empty_values = store.rows("events", ids[:250], by_customer=True)
    assert (
        empty_values.dtypes.drop("customer_id").to_dict()
        == read.dtypes.drop("customer_id").to_dict()
    )
    assert empty_values["customer_id"].cat.categories.dtype == "str"


def test_profiles_hold_plain_json_values() -> None:
    frame = pd.DataFrame(
        {
            "employees": pd.array([12, None], dtype="Int64"),
            "revenue": [1.5, float("nan")],
            "partner": [True, False],
            "since": pd.to_datetime(["2026-01-02", None], utc=True),
            "sector": ["retail", None],
        }
    )
    assert json_profiles(frame) == [
        {
            "employees": 12,
            "revenue": 1.5,
            "partner": True,
            "since": "2026-01-02T00:00:00+00:00",
            "sector": "retail",
        },
        {"employees": None, "revenue": None, "partner": False, "since": None, "sector": None},
    ]
