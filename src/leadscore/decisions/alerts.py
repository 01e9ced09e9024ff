"""Alerts to the CRM: rules (YAML) that turn scores and events into alerts.

Three kinds of rule, each named:

- ``grade_reached``: a lead's grade rises to ``grade`` (or better) from below it;
- ``score_rise``: a lead's score is ``points`` or more above its lowest score logged in
  the last ``within_days`` days (once per lead and window);
- ``event``: an event of ``event_type`` (a trade-fair badge scan) of a lead graded one
  of ``grades`` (trade fairs are where leads are lost to slow follow-up).

Every alert has an idempotency key: the same cause never makes two alerts, and the
receiver can tell a retried delivery from a new alert. Its payload is one of
``alert_payloads``' typed bodies, made once and kept in the outbox, so that every attempt
sends the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field, HttpUrl, model_validator

from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.errors import InputError
from leadscore.decisions.alert_payloads import (
    EventData,
    EventPayload,
    GradeReachedData,
    GradeReachedPayload,
    ScoreRoseData,
    ScoreRosePayload,
    reasons_of,
    trend_of,
)

GRADE_ORDER = ("A", "B", "C", "D")  # best first


class GradeReached(StrictModel):
    name: str
    kind: Literal["grade_reached"]
    grade: Literal["A", "B", "C", "D"] = "A"


class ScoreRise(StrictModel):
    name: str
    kind: Literal["score_rise"]
    points: int = Field(ge=1, le=100)
    within_days: float = Field(gt=0, le=365)


class EventOfGradedLead(StrictModel):
    name: str
    kind: Literal["event"]
    event_type: str
    grades: list[Literal["A", "B", "C", "D"]] = Field(default_factory=lambda: ["A", "B"])


Rule = Annotated[GradeReached | ScoreRise | EventOfGradedLead, Field(discriminator="kind")]


# the wait after the 1st, 2nd, ... failed attempt (the last repeats): about three days of
# tries, as Standard Webhooks' senders do
RETRY_SECONDS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)


class Webhook(StrictModel):
    url: HttpUrl
    secret_env: str = Field(
        "LEADSCORE_WEBHOOK_SECRET",
        description="the environment variable holding the signing secrets, whsec_..., newest "
        "first, separated by spaces while a rotation runs (never the YAML)",
    )
    timeout_seconds: float = Field(15.0, gt=0, le=60)
    retry_seconds: list[float] = Field(
        default_factory=lambda: list(RETRY_SECONDS),
        min_length=1,
        description="the wait after the 1st, 2nd, ... failed attempt (the last repeats)",
    )
    jitter: float = Field(0.2, ge=0, lt=1, description="each wait is drawn within ± this share")
    give_up_after_hours: float = Field(
        72.0, gt=0, description="undelivered this long after its first attempt: a dead letter"
    )
    max_attempts: int | None = Field(None, ge=1, description="or after this many attempts")
    max_retry_after_seconds: float = Field(
        86400.0, gt=0, description="a receiver's Retry-After is honoured up to this"
    )
    legacy_headers: bool = Field(
        False,
        description="also send the X-Leadscore-Signature headers of before Standard Webhooks "
        "(and allow a secret that is not whsec_...)",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_doubling(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and {"first_retry_seconds", "max_retry_seconds"} & set(data):
            raise ValueError(
                "first_retry_seconds and max_retry_seconds are gone: retries follow "
                "retry_seconds (a list of waits, the last repeating) until "
                "give_up_after_hours; see docs/live-loop.md"
            )
        return data


class AlertConfig(StrictModel):
    """The alert rules and where their alerts go."""

    webhook: Webhook
    lang: Literal["de", "en"] = Field("en", description="language of the reasons sent")
    rules: list[Rule] = Field(min_length=1)

    @property
    def score_rules(self) -> list[GradeReached | ScoreRise]:
        return [r for r in self.rules if not isinstance(r, EventOfGradedLead)]

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(r.event_type for r in self.rules if isinstance(r, EventOfGradedLead))


def load_alert_config(path: Path) -> AlertConfig:
    config = validated(
        AlertConfig, read_yaml(path, what="alert rules"), path=path, what="alert rules"
    )
    names = [r.name for r in config.rules]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"{path}: rule names must differ; {', '.join(twice)} comes twice")
    return config


@dataclass(frozen=True)
class Scored:
    """One lead's new score, with what the score log held before it."""

    customer_id: str
    at: pd.Timestamp
    score: int
    grade: str
    previous_grade: str | None  # of the newest score logged before
    lowest_recent: dict[float, int]  # within_days -> lowest score logged in that window


@dataclass(frozen=True)
class Alert:
    key: str
    customer_id: str
    rule: str
    payload: dict


def alert_key(*parts: object) -> str:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=20).hexdigest()


def better_or_equal(grade: str, than: str) -> bool:
    return GRADE_ORDER.index(grade) <= GRADE_ORDER.index(than)


def score_alerts(rules: Sequence[GradeReached | ScoreRise], scored: Scored) -> list[Alert]:
    """The alerts one new score sets off (their reasons are added by ``add_reasons``, once
    it is known which scores alert)."""
    out = []
    stamp = scored.at.to_pydatetime()
    for rule in rules:
        if isinstance(rule, GradeReached):
            before = scored.previous_grade
            if better_or_equal(scored.grade, rule.grade) and (
                before is None or not better_or_equal(before, rule.grade)
            ):
                key = alert_key(rule.name, scored.customer_id, scored.at.value)
                payload = GradeReachedPayload(
                    timestamp=stamp,
                    data=GradeReachedData(
                        alert_id=key,
                        rule=rule.name,
                        customer_id=scored.customer_id,
                        score=scored.score,
                        grade=scored.grade,
                        previous_grade=before,
                        scored_at=stamp,
                    ),
                )
                out.append(Alert(key, scored.customer_id, rule.name, _body(payload)))
        else:
            lowest = scored.lowest_recent.get(rule.within_days)
            if lowest is not None and scored.score - lowest >= rule.points:
                window = int(scored.at.value // pd.Timedelta(days=rule.within_days).value)
                key = alert_key(rule.name, scored.customer_id, window)
                rose = ScoreRosePayload(
                    timestamp=stamp,
                    data=ScoreRoseData(
                        alert_id=key,
                        rule=rule.name,
                        customer_id=scored.customer_id,
                        score=scored.score,
                        grade=scored.grade,
                        lowest_score=lowest,
                        within_days=rule.within_days,
                        scored_at=stamp,
                    ),
                )
                out.append(Alert(key, scored.customer_id, rule.name, _body(rose)))
    return out


def add_reasons(alert: Alert, reasons: Sequence[Mapping] | None) -> Alert:
    """The alert with the reasons of the score that set it off (a scorer's reasons, the
    largest first: the first few are kept)."""
    alert.payload["data"]["reasons"] = [r.model_dump(mode="json") for r in reasons_of(reasons)]
    return alert


def event_alerts(
    rules: Sequence[EventOfGradedLead],
    *,
    event_key: str,
    customer_id: str,
    event_type: str,
    ts: pd.Timestamp,
    grade: str | None,
    score: int | None,
    campaign: str | None = None,
    reasons: Sequence[Mapping] | None = None,
    trend: Mapping | None = None,
    now: pd.Timestamp | None = None,
) -> list[Alert]:
    """The alerts one event sets off, given its lead's grade as the event came in (and
    that score's reasons and trend); ``now`` is when (by default the event's moment)."""
    out = []
    for rule in rules:
        if event_type == rule.event_type and grade in rule.grades:
            key = alert_key(rule.name, event_key)
            payload = EventPayload(
                timestamp=(ts if now is None else now).to_pydatetime(),
                data=EventData(
                    alert_id=key,
                    rule=rule.name,
                    customer_id=customer_id,
                    event_type=event_type,
                    event_at=ts.to_pydatetime(),
                    campaign=campaign,
                    grade=grade,
                    score=score,
                    reasons=reasons_of(reasons),
                    trend=trend_of(trend),
                ),
            )
            out.append(Alert(key, customer_id, rule.name, _body(payload)))
    return out


def _body(payload: GradeReachedPayload | ScoreRosePayload | EventPayload) -> dict:
    return payload.model_dump(mode="json")
