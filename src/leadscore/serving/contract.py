"""The HTTP contract a CRM integrates against: the request and response models of
``POST /score``, and how a response body is written."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from leadscore.common.config import StrictModel
from leadscore.data.bounds import (
    MAX_EVENTS_PER_LEAD,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROFILE_FIELDS,
    MAX_TEXT_LENGTH,
)
from leadscore.data.parsing import MAX_TIMESTAMP_LENGTH

DEFAULT_MAX_BATCH = 1000  # leads in one request, unless LEADSCORE_MAX_BATCH says otherwise
# (the bounds on one lead's parts are the intake's too: leadscore.data.bounds)

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]
Timestamp = Annotated[
    str,
    Field(
        max_length=MAX_TIMESTAMP_LENGTH,
        json_schema_extra={"format": "date-time"},
        description="ISO 8601 (RFC 3339) timestamp, with offset or in UTC (without one it "
        "is read in the service's LEADSCORE_TIMEZONE); not in the future",
    ),
]
EpochTime = Annotated[
    float,
    Field(
        strict=True,  # true and false are no moments
        allow_inf_nan=False,
        description="seconds since 1970-01-01 UTC, or milliseconds where 1e11 or more (below 1e14)",
    ),
]
Moment = Timestamp | EpochTime
FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]
ProfileValue = (
    Annotated[str, StringConstraints(max_length=MAX_TEXT_LENGTH)] | int | FiniteNumber | bool | None
)

Profile = Annotated[dict[Name, ProfileValue], Field(max_length=MAX_PROFILE_FIELDS)]


class Event(StrictModel):
    ts: Moment
    event_type: Id
    channel: Id | None = None
    offer_id: Id | None = None
    value: FiniteNumber | None = None
    campaign: Name | None = None


class Lead(StrictModel):
    """A known customer by id, or a full record: profile attributes plus recent events.

    A lead is either a customer_id alone (looked up among known customers) or a record
    with a profile and/or events (and optionally its customer_id). A record's events must
    not lie in the future, nor more than a day before its created_at; without created_at
    the lead came in with its first event. A lead that breaks these rules, or whose
    customer_id is not known, gets an error item in its place; the others are scored.
    """

    model_config = ConfigDict(
        json_schema_extra={  # the rule of _id_or_record, for clients and fuzzers to read
            "anyOf": [
                {"required": ["customer_id"], "properties": {"customer_id": {"type": "string"}}},
                {"required": ["profile"], "properties": {"profile": {"type": "object"}}},
                {"required": ["events"], "properties": {"events": {"type": "array"}}},
            ]
        }
    )

    customer_id: Id | None = None
    created_at: Moment | None = None
    profile: Profile | None = None
    events: list[Event] | None = Field(None, max_length=MAX_EVENTS_PER_LEAD)

    @model_validator(mode="after")
    def _id_or_record(self) -> Lead:
        if self.customer_id is None and self.profile is None and self.events is None:
            raise ValueError("a lead needs a customer_id, or a profile and/or events")
        return self

    @property
    def is_record(self) -> bool:
        return self.profile is not None or self.events is not None


Lang = Literal["de", "en"]  # the language of the reasons
TopK = Annotated[int, Field(ge=0, le=50)]  # how many offers per lead


class ScoreRequest(StrictModel):
    """The body of ``POST /score`` (the service's own limit on leads is its settings')."""

    leads: list[Lead] = Field(min_length=1, max_length=DEFAULT_MAX_BATCH)
    lang: Lang = "en"
    top_k: TopK = 5


class Reason(BaseModel):
    feature: str = Field(description="the feature that weighs most in this reason")
    features: list[str] = Field(
        default_factory=list,
        description="every feature this reason says (features whose sentences are equal "
        "are one reason, its impact their impacts' sum)",
    )
    value: Any = None
    impact: float
    direction: Literal["up", "down"]
    text: str


class Offer(BaseModel):
    offer_id: str
    name: str
    kind: Literal["product", "nurture"]
    propensity: float = Field(description="the chance the lead takes the offer up if made")
    expected_value: float = Field(
        description="propensity x the offer's value; for a model learnt from offers made, "
        "what making it adds over making none (less its cost): only offers worth more than "
        "none are listed, so the list can be empty"
    )
    currency: str | None = Field(
        None, description="ISO 4217 code of the offer's value, where the catalog states it"
    )
    reasons: list[Reason]


class ModelRef(BaseModel):
    name: str
    version: str
    alias: str


class Change(BaseModel):
    """One part of a score's change: a feature's change of impact, what a new model made
    of the same lead (``model_updated``), or the rest of the features together (``other``)."""

    kind: Literal["feature", "model_updated", "other"]
    feature: str | None
    value: Any = None
    previous_value: Any = None
    impact: float = Field(description="its share of the margin's change (exact TreeSHAP)")
    direction: Literal["up", "down"]
    text: str


class Trend(BaseModel):
    """The score against the newest one logged at least a day before (the score log)."""

    previous_score: int | None
    days_ago: int | None
    delta: int | None
    direction: Literal["improving", "steady", "declining", "not_enough_history"]
    changes: list[Change] = Field(
        description="why it changed, largest first: the items add up to the margin's change"
    )


SCORE_TEXT = (
    "0-100: the lead's percentile among the leads the champion was tested on (50: the "
    "middle lead; 90: above nine in ten)"
)
GRADE_TEXT = "a band of the score (with the shipped shares A: 90-100, B: 70-89, C: 40-69, D: 0-39)"
PROBABILITY_TEXT = "the calibrated probability that the lead converts within the model's horizon"


class LeadResult(BaseModel):
    customer_id: str | None
    probability: float = Field(ge=0, le=1, description=PROBABILITY_TEXT)
    score: int = Field(ge=0, le=100, description=SCORE_TEXT)
    grade: Literal["A", "B", "C", "D"] = Field(description=GRADE_TEXT)
    base_value: float = Field(description="the model's average margin: base + impacts = margin")
    margin: float = Field(description="the model's raw output, of which impacts are shares")
    reasons: list[Reason]
    next_best_offers: list[Offer]
    model: ModelRef
    scored_at: str | None = Field(
        None,
        description="when it was scored (UTC, ISO 8601): a known customer's features from "
        "the store are as of then",
        json_schema_extra={"format": "date-time"},
    )
    trend: Trend | None = Field(
        None, description="for a known customer scored from the store: how the score moved"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what was ignored in the lead's record (LEADSCORE_PROFILE_CHECKS=lenient)",
    )


class LeadError(BaseModel):
    """A lead that could not be scored, in its place in the results (the request's other
    leads are scored)."""

    customer_id: str | None
    error: str = Field(description="the lead's field (leads[i]...) and what to send instead")


class LeadNotScored(BaseModel):
    """A lead whose record holds too little to be scored (fewer profile values and events
    than LEADSCORE_MIN_INFORMATION): no grade, no offer, in its place in the results."""

    customer_id: str | None
    status: Literal["not_enough_data"]
    message: str = Field(description="what the record holds, and what is needed")


_RESULT_FIELDS = tuple(LeadResult.model_fields)
_DEFAULTS = {"trend": None, "scored_at": None}


def results_json(results: list[dict]) -> bytes:
    """The response body: each result's ``LeadResult`` fields, written by pydantic-core.

    The Scorer's results are not validated once more on the way out: that cost 40 % of a
    1,000-lead request (BentoML's own path, which also dumps them to Python objects twice
    and writes them with the json module, cost more). Tests check the Scorer's results
    against ``LeadResult`` and, with schemathesis, the responses against the OpenAPI
    document.
    """
    return pydantic_core.to_json([_item(r) for r in results], inf_nan_mode="null")


def _item(result: dict) -> dict:
    if "error" in result:
        return {"customer_id": result.get("customer_id"), "error": result["error"]}
    if "status" in result:
        return {key: result.get(key) for key in ("customer_id", "status", "message")}
    return {name: result.get(name, _DEFAULTS.get(name, [])) for name in _RESULT_FIELDS}


class IntakeEvent(StrictModel):
    """One event posted to ``POST /events`` (checked as files are; see the route)."""

    customer_id: Id = Field(description="a lead in the store")
    ts: Moment = Field(description="when; not in the future")
    event_type: Id = Field(description="a canonical type (docs/reference.md)")
    channel: Id | None = None
    offer_id: Id | None = Field(None, description="an offer of the catalog in the store")
    value: FiniteNumber | None = None
    campaign: Name | None = None
    event_id: Name | None = Field(
        None, description="the sender's id: a retried event with it counts once"
    )


class IntakeLead(StrictModel):
    """One lead posted to ``POST /leads``: new, or an update of the attributes it names."""

    customer_id: Id
    created_at: Moment | None = Field(None, description="default: now")
    converted: bool | None = None
    profile: Profile | None = Field(
        None,
        description=f"at most {MAX_PROFILE_FIELDS} fields; {MAX_TEXT_LENGTH:,} characters a value",
    )


class EventsTaken(BaseModel):
    received: int
    added: int
    duplicates: int = Field(description="held already (same event_id, else same content)")


class LeadsTaken(BaseModel):
    received: int
    added: int
    updated: int


class LoggedScoreOut(BaseModel):
    scored_at: str
    origin: Literal["request", "rescore"]
    model: dict[str, str]
    probability: float
    score: int
    grade: Literal["A", "B", "C", "D"]
    margin: float
    base_value: float
    impacts: dict[str, float]
    features: dict[str, Any]
    reasons: list[Reason] = Field(
        default_factory=list,
        description="the top reasons in sentences (`lang`), as /score says them; empty for a "
        "score of a model reading other features than the one serving now",
    )


class History(BaseModel):
    customer_id: str
    scores: list[LoggedScoreOut] = Field(description="newest first")


class LeadTrend(BaseModel):
    """The newest logged score against the newest logged at least a day before it."""

    previous_score: int | None
    days_ago: int | None
    delta: int | None
    direction: Literal["improving", "steady", "declining", "not_enough_history"]


class NewestScore(BaseModel):
    score: int = Field(ge=0, le=100, description=SCORE_TEXT)
    grade: Literal["A", "B", "C", "D"] = Field(description=GRADE_TEXT)
    probability: float = Field(ge=0, le=1, description=PROBABILITY_TEXT)
    scored_at: str = Field(json_schema_extra={"format": "date-time"})
    model: dict[str, str] = Field(description="name and version of the model that scored it")
    trend: LeadTrend


class LeadNow(BaseModel):
    """A lead as the store holds it, with its newest logged score (None before its first)."""

    customer_id: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
    converted: bool | None
    profile: dict[str, Any]
    newest_score: NewestScore | None


class ChangedScore(BaseModel):
    customer_id: str
    scored_at: str = Field(json_schema_extra={"format": "date-time"})
    score: int = Field(ge=0, le=100, description=SCORE_TEXT)
    grade: Literal["A", "B", "C", "D"] = Field(description=GRADE_TEXT)
    probability: float = Field(ge=0, le=1, description=PROBABILITY_TEXT)
    model: dict[str, str] = Field(description="name and version of the model that scored it")
    origin: Literal["request", "rescore"]


class ScoresPage(BaseModel):
    """Scores that changed, oldest first; send ``next_cursor`` back as ``cursor``."""

    scores: list[ChangedScore]
    next_cursor: str = Field(description="the position after this page: keep it to poll on")
    has_more: bool = Field(description="another page follows at once")
