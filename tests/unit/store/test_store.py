from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.data.tables import TRADE_FAIR_VISIT
from leadscore.store import store as store_module
from leadscore.store.store import Store
from leadscore.synthetic import GeneratedCRM
from tests.conftest import NOW


@pytest.fixture(scope="module")
def crm_data(small_crm: GeneratedCRM):
    return require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    columns = list(frame.columns)
    return frame.sort_values(columns[:3], kind="stable").reset_index(drop=True)


def test_canonical_tables_come_back_as_they_went_in(database: str, crm_data) -> None:
    store = Store.open(database)
    ids = crm_data.customers["customer_id"].iloc[:200].tolist()
    customers = crm_data.customers[crm_data.customers["customer_id"].isin(ids)]
    events = crm_data.events[crm_data.events["customer_id"].isin(ids)]
    assert store.put_customers(customers, now=NOW) == (200, 0)
    store.put_offers(crm_data.offers)
    appended = store.append("events", events, now=NOW)
    assert (appended.added, appended.duplicates) == (len(events), 0)

    back = store.customers(ids).set_index("customer_id").loc[ids].reset_index()
    want = customers.reset_index(drop=True)
    pd.testing.assert_series_equal(back["created_at"], want["created_at"], check_dtype=False)
    for column in ("industry", "company_size", "country"):
        assert back[column].tolist() == want[column].astype(str).tolist()

    got = store.rows("events", ids)
    want_events = events.astype({"customer_id": str}).reset_index(drop=True)
    got, want_events = _sorted(got), _sorted(want_events[got.columns])
    assert (got["ts"].to_numpy() == want_events["ts"].to_numpy()).all()  # to the microsecond
    for column in ("customer_id", "event_type", "channel", "offer_id", "campaign"):
        left = got[column].astype("object").where(got[column].notna(), None)
        right = want_events[column].astype("object").where(want_events[column].notna(), None)
        assert left.tolist() == right.tolist(), column
    np.testing.assert_array_equal(got["value"].to_numpy(), want_events["value"].to_numpy())
    offers = store.offers().set_index("offer_id").loc[crm_data.offers["offer_id"]]
    assert offers["name_de"].tolist() == crm_data.offers["name_de"].tolist()


def test_customers_are_updated_in_place(database: str) -> None:
    store = Store.open(database)
    first = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-2"],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True),
            "industry": ["retail", None],
            "employees": [12, np.nan],
        }
    )
    assert store.put_customers(first, now=NOW) == (2, 0)
    second = first.iloc[[1]].assign(
        industry="energy", employees=250.0, created_at=pd.Timestamp("2026-03-01", tz="UTC")
    )
    assert store.put_customers(second, now=NOW) == (0, 1)
    partial = pd.DataFrame({"customer_id": ["C-1"], "created_at": [NOW], "country": ["DE"]})
    assert store.put_customers(partial, now=NOW) == (0, 1)
    back = store.customers().set_index("customer_id")
    assert back.loc["C-1", "industry"] == "retail"  # kept: the update did not name it
    assert back.loc["C-1", "country"] == "DE"
    assert back.loc["C-2", "industry"] == "energy"
    assert back.loc["C-2", "employees"] == 250
    assert back.loc["C-2", "created_at"] == pd.Timestamp("2026-01-02", tz="UTC")
    assert store.known(["C-1", "C-9"]) == {"C-1"}
    # the same rows again change nothing, and say so; a known outcome is a change
    assert store.put_customers(second, now=NOW) == (0, 0)
    assert store.put_customers(partial, now=NOW) == (0, 0)
    assert store.put_customers(partial.assign(converted=True), now=NOW) == (0, 1)
    assert store.put_customers(partial.assign(converted=None), now=NOW) == (0, 0)


def test_rows_by_customer_hold_the_same_rows_grouped_in_id_order(
    database: str, crm_data, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(database)
    small = partial(store_module.chunks, size=7)  # many statements, each in its own order
    monkeypatch.setattr(store_module, "chunks", small)
    ids = crm_data.customers["customer_id"].iloc[:120].tolist()
    store.put_customers(crm_data.customers[crm_data.customers["customer_id"].isin(ids)], now=NOW)
    store.append("events", crm_data.events[crm_data.events["customer_id"].isin(ids)], now=NOW)
    asked = ids[::-1]
    grouped = store.rows("events", asked, by_customer=True)
    by_moment = store.rows("events", asked)
    customers = grouped["customer_id"]
    assert list(customers.cat.categories) == sorted(by_moment["customer_id"].unique())
    assert (np.diff(customers.cat.codes) >= 0).all()  # each customer's rows together, in order
    for _, rows in grouped.groupby("customer_id", observed=True):
        assert rows["ts"].is_monotonic_increasing
    plain = grouped.astype({"customer_id": "str"})
    assert plain.dtypes.to_dict() == by_moment.dtypes.to_dict()
    pd.testing.assert_frame_equal(
        _sorted(plain), _sorted(by_moment[grouped.columns]), check_like=True
    )
    # many customers are read through the database's ADBC driver: the same frame
    monkeypatch.setattr(store_module, "ARROW_FROM", 1)
    through_arrow = store.rows("events", asked, by_customer=True)
    pd.testing.assert_frame_equal(through_arrow, grouped)


def test_customers_read_with_named_fields_carry_those_alone(database: str) -> None:
    store = Store.open(database)
    wide = {f"field_{i}": i for i in range(150)}
    frame = pd.DataFrame(
        [
            {"customer_id": "C-1", "created_at": NOW, "name": "Ada", **wide},
            {"customer_id": "C-2", "created_at": NOW, "territory": "North"},
        ]
    )
    store.put_customers(frame, now=NOW)
    assert len(store.customers().columns) == 2 + 2 + 150  # id, created_at, name, territory
    named = store.customers(fields=["name", "territory", "absent"])
    assert list(named.columns) == ["customer_id", "created_at", "name", "territory"]
    by_id = named.set_index("customer_id")
    assert by_id.at["C-1", "name"] == "Ada" and pd.isna(by_id.at["C-2", "name"])
    assert by_id.at["C-2", "territory"] == "North"
    assert list(store.customers(["C-2"], fields=[]).columns) == ["customer_id", "created_at"]


def test_most_active_customers_come_first(database: str) -> None:
    store = Store.open(database)
    customers = pd.DataFrame(
        {
            "customer_id": ["C-QUIET", "C-OLD", "C-NEW", "C-MID"],
            "created_at": pd.to_datetime(["2026-01-01"] * 4, utc=True),
        }
    )
    store.put_customers(customers, now=NOW)
    events = pd.DataFrame(
        {
            "customer_id": ["C-OLD", "C-NEW", "C-MID", "C-OLD"],
            "ts": pd.to_datetime(
                ["2026-02-01", "2026-06-01", "2026-05-01", "2026-03-01"], utc=True
            ),
            "event_type": ["web_visit"] * 4,
        }
    )
    store.append("events", events, now=NOW)
    assert store.most_active(10) == ["C-NEW", "C-MID", "C-OLD", "C-QUIET"]
    assert store.most_active(2) == ["C-NEW", "C-MID"]


def test_latest_activity_and_the_campaigns_that_reached_each_customer(database: str) -> None:
    store = Store.open(database)
    customers = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-2", "C-3"],
            "created_at": pd.to_datetime(["2026-01-01"] * 3, utc=True),
        }
    )
    store.put_customers(customers, now=NOW)
    events = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-1", "C-2", "C-2", "C-1"],
            "ts": pd.to_datetime(
                [
                    "2026-02-01 00:00:00.000000",
                    "2026-03-01 10:00:00.000001",
                    "2026-02-05 00:00:00.000000",
                    "2026-02-06 00:00:00.000000",
                    "2026-02-07 00:00:00.000000",
                ],
                utc=True,
            ),
            "event_type": ["email_open", "trade_fair_visit", "email_open", "email_click", "call"],
            "campaign": ["EM-1", "it-sa 2026", "EM-1", "EM-1", None],
        }
    )
    store.append("events", events, now=NOW)
    latest = store.latest_activity()
    assert latest.to_dict() == {
        "C-1": pd.Timestamp("2026-03-01 10:00:00.000001", tz="UTC"),
        "C-2": pd.Timestamp("2026-02-06", tz="UTC"),
    }
    members = store.campaign_members(TRADE_FAIR_VISIT).sort_values(["campaign", "customer_id"])
    assert members.values.tolist() == [
        ["C-1", "EM-1", False],
        ["C-2", "EM-1", False],
        ["C-1", "it-sa 2026", True],
    ]
