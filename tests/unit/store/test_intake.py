"""Posted batches into the store, after the checks only the store can make."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.intake import Intake, event_intake, lead_intake
from leadscore.store.intake import store_problems, take_events, take_leads
from leadscore.store.store import Store

NOW = pd.Timestamp("2026-06-29 12:00", tz="UTC")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'intake.db'}")
    leads = lead_intake(
        [
            {
                "customer_id": "c1",
                "created_at": "2026-06-01T00:00:00Z",
                "profile": {"industry": "retail"},
            }
        ],
        now=NOW,
    )
    store.put_customers(leads.rows, now=NOW)
    store.put_offers(
        pd.DataFrame({"offer_id": ["o1"], "name": ["Webinar"], "kind": ["nurture"], "value": [0.0]})
    )
    return store


def _events(*items: dict) -> Intake:
    intake = event_intake(list(items), now=NOW, event_types=None)
    assert intake.problems == []
    return intake


def _event(**fields: str) -> dict:
    return {"customer_id": "c1", "ts": "2026-06-10T00:00:00Z", "event_type": "visit", **fields}


def test_events_of_known_customers_and_offers_are_appended_once(store: Store) -> None:
    batch = _events(_event(), _event(event_type="download", offer_id="o1"))
    appended, problems, _ = take_events(store, batch, now=NOW)
    assert problems == []
    assert (appended.added, appended.duplicates) == (2, 0)
    again, _, _ = take_events(store, batch, now=NOW)
    assert (again.added, again.duplicates) == (0, 2)
    assert len(store.rows("events", ["c1"])) == 2


def test_an_event_of_a_customer_the_store_lacks_is_refused_and_nothing_is_written(
    store: Store,
) -> None:
    appended, problems, _ = take_events(store, _events(_event(), _event(customer_id="c9")), now=NOW)
    assert appended is None
    assert len(problems) == 1
    assert problems[0].startswith("events[1].customer_id: 'c9' is not a customer in the store")
    assert store.rows("events", ["c1"]).empty


def test_a_batch_whose_customers_are_all_unknown_names_each_of_them(store: Store) -> None:
    batch = _events(_event(customer_id="c8"), _event(customer_id="c9"))
    appended, problems, _ = take_events(store, batch, now=NOW)
    assert appended is None
    assert [p.split(":")[0] for p in problems] == ["events[0].customer_id", "events[1].customer_id"]
    assert "'c9' is not a customer in the store" in problems[1]


def test_an_event_more_than_a_day_before_its_customer_came_in_is_refused(store: Store) -> None:
    batch = _events(
        _event(ts="2026-05-31T00:00:01Z"),  # within a day of created_at
        _event(ts="2026-05-30T23:59:59Z"),
    )
    problems = store_problems(store, batch)
    assert len(problems) == 1 and problems[0].startswith("events[1].ts:")
    assert "before the lead's created_at" in problems[0]


def test_an_event_naming_an_offer_outside_the_catalog_is_refused(store: Store) -> None:
    problems = store_problems(store, _events(_event(offer_id="o1"), _event(offer_id="o7")))
    assert problems == [
        "events[1].offer_id: 'o7' is not an offer of the catalog in the store; send one of "
        "its offer_ids, or leave it out"
    ]


def test_a_batch_with_problems_of_its_own_is_refused_before_the_store_is_asked(
    store: Store,
) -> None:
    own = Intake(pd.DataFrame(), ["events[0].ts: missing; every item needs it"])
    assert take_events(store, own, now=NOW) == (None, own.problems, 422)
    assert take_leads(store, own, now=NOW) == (None, own.problems)


def test_new_and_known_leads_are_inserted_and_updated(store: Store) -> None:
    batch = lead_intake(
        [
            {"customer_id": "c1", "profile": {"industry": "banking"}},
            {"customer_id": "c2", "profile": {"industry": "retail"}},
        ],
        now=NOW,
    )
    assert take_leads(store, batch, now=NOW) == ((1, 1), [])
    customers = store.customers(["c1", "c2"]).set_index("customer_id")
    assert customers.loc[["c1", "c2"], "industry"].tolist() == ["banking", "retail"]


def test_a_lead_sent_twice_in_one_batch_is_refused_at_both_places(store: Store) -> None:
    batch = lead_intake(
        [{"customer_id": "c2"}, {"customer_id": "c3"}, {"customer_id": "c2"}], now=NOW
    )
    inserted, problems = take_leads(store, batch, now=NOW)
    assert inserted is None
    assert [p.split(":")[0] for p in problems] == ["leads[0].customer_id", "leads[2].customer_id"]
    assert store.customers(["c2", "c3"]).empty


def test_an_event_id_held_for_another_event_is_a_conflict_and_the_same_content_a_retry(
    database: str,
) -> None:
    store = Store.open(database)
    store.put_customers(
        lead_intake([{"customer_id": "c1", "created_at": "2026-06-01T00:00:00Z"}], now=NOW).rows,
        now=NOW,
    )
    first = _event(event_id="E-17", event_type="page_view", channel="web")
    taken = take_events(store, _events(first), now=NOW)
    assert (taken.appended.added, taken.status) == (1, 200)
    retried = take_events(store, _events(first), now=NOW)
    assert (retried.appended.duplicates, retried.status) == (1, 200)
    other = _events(
        _event(event_id="E-18"),
        _event(event_id="E-17", ts="2026-06-11T00:00:00Z"),
        _event(event_id="E-17", event_type="page_view", channel="web", campaign="spring"),
    )
    refused = take_events(store, other, now=NOW)
    assert refused.appended is None and refused.status == 409
    assert refused.problems == [
        f"events[{i}].event_id: 'E-17' is already stored for another event (customer 'c1', "
        "page_view at 2026-06-10T00:00:00+00:00); send a new event_id for a new event"
        for i in (1, 2)
    ]
    assert len(store.rows("events", ["c1"])) == 1  # nothing of the batch, E-18 neither
    twice = _events(_event(event_id="E-20"), _event(event_id="E-20", event_type="download"))
    within = take_events(store, twice, now=NOW)
    assert within.status == 409
    assert within.problems == [
        "events[1].event_id: 'E-20' is events[0]'s too, another event; send a new event_id "
        "for a new event"
    ]
