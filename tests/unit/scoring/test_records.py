"""Full records: checked against what the models read, their features built with the
training builder, and scored like known customers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pydantic import TypeAdapter

from leadscore.scoring.scorer import Scorer
from leadscore.serving.contract import LeadError, LeadNotScored, LeadResult, results_json
from leadscore.synthetic import GeneratedCRM


def test_full_record_scores_like_the_same_customer_from_the_store(
    scorer: Scorer, small_crm: GeneratedCRM
) -> None:
    customers = pd.read_parquet(small_crm.directory / "customers.parquet")
    events = pd.read_parquet(small_crm.directory / "events.parquet")
    customer = customers.iloc[3]
    mine = events[events["customer_id"] == customer["customer_id"]]
    profile = {
        c: (None if pd.isna(customer[c]) else str(customer[c]))
        for c in ("industry", "company_size", "country", "lead_source", "account_id")
    }
    record = {
        "customer_id": customer["customer_id"],
        "created_at": customer["created_at"].isoformat(),
        "profile": profile,
        "events": [
            {
                "ts": e.ts.isoformat(),
                "event_type": str(e.event_type),
                "channel": None if pd.isna(e.channel) else str(e.channel),
                "offer_id": None if pd.isna(e.offer_id) else str(e.offer_id),
                "value": None if pd.isna(e.value) else float(e.value),
            }
            for e in mine.itertuples()
        ],
    }
    built = scorer.records.features_for_records([record], now=pd.Timestamp("2026-06-29", tz="UTC"))
    assert built.problems == {} and built.accepted == [0]
    from_record = scorer.pure.score_frame(built.features)[0]
    from_store = scorer.pure.score_frame(
        scorer.table.feature_table.rows([customer["customer_id"]])
    )[0]
    assert from_record["probability"] == pytest.approx(from_store["probability"], rel=1e-9)
    assert from_record["reasons"] == from_store["reasons"]


def test_unknown_event_types_are_refused_by_name_unless_accepted(scorer: Scorer) -> None:
    events = [
        {"ts": "2026-06-28T10:00:00Z", "event_type": "pricing_page_view"},
        {"ts": "2026-06-28T11:00:00Z", "event_type": "foo_bar"},
    ]
    now = pd.Timestamp("2026-06-29", tz="UTC")
    refused = scorer.records.features_for_records([{"events": events}], now=now)
    assert refused.accepted == [] and refused.features.empty
    assert refused.problems[0].startswith("leads[0].events[1].event_type: 'foo_bar'")
    accepting = Scorer.of(scorer.pure, accept_unknown_event_types=True)
    built = accepting.records.features_for_records([{"events": events}], now=now).features
    assert built["page_views_30d"].iat[0] == 0 and built["pricing_page_views_7d"].iat[0] == 1


def test_one_bad_lead_gets_its_error_item_and_the_others_are_scored(scorer: Scorer) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    known = scorer.table.feature_table.frame.index[0]
    good = {"customer_id": "NEW", "profile": {"industry": "software"}}
    records = [
        good,
        {"customer_id": "X", "profile": {"industry": "Confidential-4711"}},
        {"profile": {"favourite_colour": "blue"}},
        good,  # the same customer twice is two leads, not a clash
    ]
    items = scorer.records.score_records(records, now=now, positions=[0, 2, 3, 5])
    assert [i.get("customer_id") for i in items] == ["NEW", "X", None, "NEW"]
    assert items[0]["probability"] == items[3]["probability"] and items[0]["warnings"] == []
    assert items[1]["error"].startswith("leads[2].profile.industry: 'Confidential-4711' is not")
    assert items[2]["error"].startswith("leads[3].profile.favourite_colour: not a profile")
    lenient = Scorer.of(scorer.pure, lenient_profiles=True)
    (item,) = lenient.records.score_records(records[1:2], now=now)
    assert "probability" in item and "Confidential-4711" in item["warnings"][0]
    ids = scorer.table.score_ids([known, "C-NOPE"], positions=[4, 1])
    assert ids[0]["customer_id"] == known and "probability" in ids[0]
    assert ids[1] == {
        "customer_id": "C-NOPE",
        "error": "leads[1].customer_id: not a customer in the feature table of known "
        "customers; send the full record instead (profile and events)",
    }
    written = json.loads(results_json(items + ids))
    assert TypeAdapter(list[LeadResult | LeadError]).validate_python(written)
    assert written[1] == {"customer_id": "X", "error": items[1]["error"]}


def test_display_fields_are_accepted_and_never_reach_the_models(scorer: Scorer) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    display = {
        "name": "Jürgen Weiß",
        "company": "Weiß Maschinenbau GmbH",
        "job_title": "Einkaufsleiter",
        "email": "juergen.weiss@weiss-maschinenbau.example",
        "phone": "+49 30 5550123",
        "owner": "Katrin Vogel",
        "territory": "DACH Nord",
    }
    plain = {"customer_id": "NEW", "profile": {"industry": "software"}}
    shown = {"customer_id": "NEW", "profile": {"industry": "software", **display}}
    assert scorer.records.profile_problems(shown["profile"], "leads[0]") == []
    assert all(scorer.records.profile_kinds()[field] == "any" for field in display)
    bare, named = scorer.records.score_records([plain, shown], now=now)
    assert "error" not in named and named["warnings"] == []
    assert named["probability"] == bare["probability"] and named["reasons"] == bare["reasons"]
    (alone,) = scorer.records.score_records([{"customer_id": "NEW", "profile": display}], now=now)
    assert alone["status"] == "not_enough_data" and "grade" not in alone  # whom, not whether


def test_a_record_that_holds_too_little_is_not_scored_and_gets_no_offer(
    scorer: Scorer,
) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    records = [
        {"customer_id": "EMPTY", "profile": {}},
        {"events": []},
        {"profile": {"industry": None}},  # a form left empty: nothing known
        {"customer_id": "ONE", "profile": {"industry": "software"}},
    ]
    items = scorer.records.score_records(records, now=now)
    assert [i.get("status") for i in items] == ["not_enough_data"] * 3 + [None]
    assert "grade" not in items[0] and "next_best_offers" not in items[0]
    assert "0 profile values and events, at least 1" in items[0]["message"]
    assert items[3]["customer_id"] == "ONE" and items[3]["grade"] in "ABCD"
    written = json.loads(results_json(items))
    assert written[0] == {
        "customer_id": "EMPTY",
        "status": "not_enough_data",
        "message": items[0]["message"],
    }
    TypeAdapter(list[LeadResult | LeadError | LeadNotScored]).validate_python(written)
    demanding = Scorer.of(scorer.pure, min_information=2)
    assert demanding.records.score_records(records[3:], now=now)[0]["status"] == "not_enough_data"
    anything = Scorer.of(scorer.pure, min_information=0)
    assert all("grade" in i for i in anything.records.score_records(records, now=now))


def test_events_sent_without_their_channel_score_as_with_their_types_channel(
    scorer: Scorer,
) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    events = [
        {"ts": "2026-06-28T10:00:00Z", "event_type": "pricing_page_view", "channel": "web"},
        {"ts": "2026-06-27T10:00:00Z", "event_type": "email_click", "channel": "email"},
        {"ts": "2026-06-20T10:00:00Z", "event_type": "call", "channel": "sales"},
    ]
    record = {"created_at": "2026-05-01T00:00:00Z", "profile": {}, "events": events}
    bare = {**record, "events": [{k: v for k, v in e.items() if k != "channel"} for e in events]}
    with_channels, without = scorer.records.score_records([record, bare], now=now)
    assert without["score"] == with_channels["score"]
    assert without["reasons"] == with_channels["reasons"]
