"""The HTTP contract a CRM integrates against: the request and response models of
``POST /score``, and how a response body is written."""

from __future__ import annotations

from typing import Any, Literal

import pydantic_core
from pydantic import BaseModel, Field, model_validator

from leadscore.common.config import StrictModel

DEFAULT_MAX_BATCH = 1000  # leads in one request, unless LEADSCORE_MAX_BATCH says otherwise


class Event(StrictModel):
    ts: str = Field(description="ISO 8601 timestamp, with offset or in UTC")
    event_type: str = Field(min_length=1)
    channel: str | None = None
    offer_id: str | None = None
    value: float | None = None
    campaign: str | None = None


class Lead(StrictModel):
    """A known customer by id, or a full record: profile attributes plus recent events."""

    customer_id: str | None = Field(None, min_length=1, max_length=200)
    created_at: str | None = Field(None, description="when the lead came in (ISO 8601)")
    profile: dict[str, str | float | int | bool | None] | None = None
    events: list[Event] | None = Field(None, max_length=10_000)

    @model_validator(mode="after")
    def _id_or_record(self) -> Lead:
        if self.customer_id is None and self.profile is None and self.events is None:
            raise ValueError("a lead needs a customer_id, or a profile and/or events")
        return self

    @property
    def is_record(self) -> bool:
        return self.profile is not None or self.events is not None


class ScoreRequest(StrictModel):
    """The body of ``POST /score`` (the service's own limit on leads is its settings')."""

    leads: list[Lead] = Field(min_length=1, max_length=DEFAULT_MAX_BATCH)
    lang: Literal["de", "en"] = "en"
    top_k: int = Field(5, ge=0, le=50)


class Reason(BaseModel):
    feature: str
    value: Any = None
    impact: float
    direction: Literal["up", "down"]
    text: str


class Offer(BaseModel):
    offer_id: str
    name: str
    kind: Literal["product", "nurture"]
    propensity: float
    expected_value: float
    reasons: list[Reason]


class ModelRef(BaseModel):
    name: str
    version: str
    alias: str


class LeadResult(BaseModel):
    customer_id: str | None
    probability: float
    score: int
    grade: Literal["A", "B", "C", "D"]
    reasons: list[Reason]
    next_best_offers: list[Offer]
    model: ModelRef


_RESULT_FIELDS = tuple(LeadResult.model_fields)


def results_json(results: list[dict]) -> bytes:
    """The response body: each result's ``LeadResult`` fields, written by pydantic-core.

    The Scorer's results are not validated once more on the way out: that cost 40 % of a
    1,000-lead request (BentoML's own path, which also dumps them to Python objects twice
    and writes them with the json module, cost more). Tests check the Scorer's results
    against ``LeadResult`` and, with schemathesis, the responses against the OpenAPI
    document.
    """
    body = [{name: result[name] for name in _RESULT_FIELDS} for result in results]
    return pydantic_core.to_json(body, inf_nan_mode="null")
