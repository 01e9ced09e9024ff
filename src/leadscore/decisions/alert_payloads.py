"""What a webhook's body holds: one typed payload per event type, as Standard Webhooks
shapes them (``{"type", "timestamp", "data"}``).

``type`` names what happened (``lead.grade_reached``, ``lead.score_rose``, ``lead.event``,
``webhook.test``), ``timestamp`` is when the alert was made (ISO-8601, UTC; the same on
every attempt: the body is made once and stored in the outbox), ``data`` the lead as the
score that set the alert off saw it, with that score's top reasons in the alert rules'
language. ``payload_schemas`` gives each type's JSON schema (for the OpenAPI document's
``webhooks`` section and for receivers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TOP_REASONS = 3  # the reasons an alert carries, largest impact first


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Part):
    """One reason of the score that set the alert off."""

    feature: str
    text: str = Field(description="the reason in the alert rules' language (their `lang`)")
    direction: Literal["up", "down"] = Field(description="pushes the score up or down")


class Trend(_Part):
    """The score against the newest one logged some days before (see `/score`'s trend)."""

    previous_score: int | None = None
    days_ago: int | None = None
    delta: int | None = None
    direction: str


class _LeadData(_Part):
    alert_id: str = Field(description="the alert's key: the `webhook-id` header")
    rule: str = Field(description="the name of the rule that made the alert")
    customer_id: str
    reasons: list[Reason] = Field(
        default_factory=list, description=f"up to {TOP_REASONS}, largest impact first"
    )


class GradeReachedData(_LeadData):
    score: int
    grade: str
    previous_grade: str | None = Field(description="of the newest score logged before; null: none")
    scored_at: datetime
    trend: Trend | None = None


class ScoreRoseData(_LeadData):
    score: int
    grade: str
    lowest_score: int = Field(description="the lowest score logged within `within_days`")
    within_days: float
    scored_at: datetime
    trend: Trend | None = None


class EventData(_LeadData):
    score: int | None = Field(description="the lead's score as the event came in")
    grade: str | None
    event_type: str
    event_at: datetime
    campaign: str | None = Field(None, description="the event's campaign (a trade fair's name)")
    trend: Trend | None = None


class PingData(_Part):
    message: str


class _Payload(_Part):
    timestamp: datetime = Field(description="when the alert was made (ISO-8601, UTC)")


class GradeReachedPayload(_Payload):
    type: Literal["lead.grade_reached"] = "lead.grade_reached"
    data: GradeReachedData


class ScoreRosePayload(_Payload):
    type: Literal["lead.score_rose"] = "lead.score_rose"
    data: ScoreRoseData


class EventPayload(_Payload):
    type: Literal["lead.event"] = "lead.event"
    data: EventData


class PingPayload(_Payload):
    type: Literal["webhook.test"] = "webhook.test"
    data: PingData


AlertPayload = Annotated[
    GradeReachedPayload | ScoreRosePayload | EventPayload | PingPayload,
    Field(discriminator="type"),
]
PAYLOADS: dict[str, type[_Payload]] = {
    "lead.grade_reached": GradeReachedPayload,
    "lead.score_rose": ScoreRosePayload,
    "lead.event": EventPayload,
    "webhook.test": PingPayload,
}


def payload_schemas() -> dict[str, dict]:
    """Each event type's JSON schema, by type."""
    return {name: model.model_json_schema() for name, model in PAYLOADS.items()}


def reasons_of(results: Iterable[Mapping] | None) -> list[Reason]:
    """A scorer's reasons (dicts with feature, text and direction) as an alert's: the
    first ``TOP_REASONS`` (the scorer gives them largest impact first)."""
    return [
        Reason(feature=str(r["feature"]), text=str(r["text"]), direction=r["direction"])
        for r in list(results or [])[:TOP_REASONS]
    ]


def trend_of(trend: Mapping | None) -> Trend | None:
    """A result's trend as an alert's (its changes left out: the reasons say why)."""
    if not trend:
        return None
    return Trend(
        previous_score=trend.get("previous_score"),
        days_ago=trend.get("days_ago"),
        delta=trend.get("delta"),
        direction=str(trend.get("direction")),
    )
