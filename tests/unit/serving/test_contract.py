"""The contract of POST /score: what a request may hold, and how results are written."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import ValidationError

from leadscore.data.bounds import MAX_ID_LENGTH
from leadscore.serving.contract import (
    MAX_PROFILE_FIELDS,
    IntakeEvent,
    IntakeLead,
    Lead,
    LeadResult,
    ScoreRequest,
    results_json,
)

EVENT = {"ts": "2026-06-29T10:00:00Z", "event_type": "visit"}


def test_a_lead_is_a_customer_id_alone_or_a_record() -> None:
    known = Lead(customer_id="c1")
    assert not known.is_record
    assert Lead(profile={"industry": "retail"}).is_record
    assert Lead(events=[EVENT]).is_record
    assert Lead(customer_id="c1", events=[]).is_record


def test_a_lead_with_neither_an_id_nor_a_record_is_refused() -> None:
    with pytest.raises(ValidationError, match="a lead needs a customer_id, or a profile"):
        Lead()
    with pytest.raises(ValidationError, match="a lead needs a customer_id"):
        Lead(created_at="2026-06-01T00:00:00Z")


def test_fields_a_lead_does_not_have_are_refused() -> None:
    with pytest.raises(ValidationError):
        Lead(customer_id="c1", colour="red")
    with pytest.raises(ValidationError):
        Lead(events=[{**EVENT, "colour": "red"}])


def test_ids_are_between_one_character_and_the_bound() -> None:
    assert Lead(customer_id="c" * MAX_ID_LENGTH)
    for name in ("", "c" * (MAX_ID_LENGTH + 1)):
        with pytest.raises(ValidationError):
            Lead(customer_id=name)
        with pytest.raises(ValidationError):
            Lead(events=[{**EVENT, "event_type": name}])


def test_numbers_must_be_finite() -> None:
    for bad in (math.inf, math.nan):
        with pytest.raises(ValidationError):
            Lead(events=[{**EVENT, "value": bad}])
        with pytest.raises(ValidationError):
            Lead(profile={"employees": bad})


def test_a_profile_holds_plain_values_and_at_most_the_bound_of_fields() -> None:
    lead = Lead(
        profile={"industry": "retail", "employees": 40, "share": 0.5, "b2b": True, "x": None}
    )
    assert lead.profile == {
        "industry": "retail",
        "employees": 40,
        "share": 0.5,
        "b2b": True,
        "x": None,
    }
    with pytest.raises(ValidationError):
        Lead(profile={"tags": ["a"]})
    with pytest.raises(ValidationError):
        Lead(profile={f"f{i}": i for i in range(MAX_PROFILE_FIELDS + 1)})


def test_a_request_has_at_least_one_lead_and_a_known_language() -> None:
    request = ScoreRequest(leads=[{"customer_id": "c1"}])
    assert (request.lang, request.top_k) == ("en", 5)
    with pytest.raises(ValidationError):
        ScoreRequest(leads=[])
    with pytest.raises(ValidationError):
        ScoreRequest(leads=[{"customer_id": "c1"}], lang="fr")
    with pytest.raises(ValidationError):
        ScoreRequest(leads=[{"customer_id": "c1"}], top_k=51)


def _result(**changes: object) -> dict:
    result = {
        "customer_id": "c1",
        "probability": 0.42,
        "score": 42,
        "grade": "B",
        "base_value": -1.0,
        "margin": -0.3,
        "reasons": [],
        "next_best_offers": [],
        "model": {"name": "conversion", "version": "3", "alias": "champion"},
        "internal": "not for the client",
    }
    return {**result, **changes}


def test_a_result_is_written_with_the_contracts_fields_alone_and_their_defaults() -> None:
    (item,) = json.loads(results_json([_result()]))
    assert set(item) == set(LeadResult.model_fields)
    assert item["trend"] is None and item["warnings"] == []
    assert LeadResult.model_validate(item).score == 42


def test_errors_and_leads_not_scored_keep_their_own_shapes_in_their_places() -> None:
    items = json.loads(
        results_json(
            [
                {"customer_id": "c9", "error": "leads[0].customer_id: unknown", "extra": 1},
                _result(customer_id="c2"),
                {"customer_id": None, "status": "not_enough_data", "message": "one event"},
            ]
        )
    )
    assert items[0] == {"customer_id": "c9", "error": "leads[0].customer_id: unknown"}
    assert items[1]["customer_id"] == "c2"
    assert items[2] == {"customer_id": None, "status": "not_enough_data", "message": "one event"}


def test_a_number_that_is_not_finite_is_written_as_null() -> None:
    (item,) = json.loads(results_json([_result(margin=math.nan, base_value=math.inf)]))
    assert item["margin"] is None and item["base_value"] is None


def test_a_moment_is_iso_text_or_an_epoch_number_never_a_boolean() -> None:
    event = IntakeEvent.model_validate({"customer_id": "c1", **EVENT, "ts": 1_782_720_000})
    assert event.ts == 1_782_720_000
    assert IntakeLead.model_validate({"customer_id": "c1", "created_at": 1.5e12}).created_at
    assert Lead.model_validate({"events": [{**EVENT, "ts": 1_782_720_000_000}]}).events
    for wrong in (True, float("inf")):
        with pytest.raises(ValidationError):
            IntakeEvent.model_validate({"customer_id": "c1", **EVENT, "ts": wrong})
