"""Alerts to the CRM: rules (YAML) that turn scores and events into alerts.

Three kinds of rule, each named:

- ``grade_reached``: a lead's grade rises to ``grade`` (or better) from below it;
- ``score_rise``: a lead's score is ``points`` or more above its lowest score logged in
  the last ``within_days`` days (once per lead and window);
- ``event``: an event of ``event_type`` (a trade-fair badge scan) of a lead graded one
  of ``grades`` (trade fairs are where leads are lost to slow follow-up).

Every alert has an idempotency key: the same cause never makes two alerts, and the
receiver can tell a retried delivery from a new alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, HttpUrl

from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.errors import InputError

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


class Webhook(StrictModel):
    url: HttpUrl
    secret_env: str = Field(
        "LEADSCORE_WEBHOOK_SECRET",
        description="the environment variable holding the signing secret (never the YAML)",
    )
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    first_retry_seconds: float = Field(2.0, gt=0)
    max_retry_seconds: float = Field(3600.0, gt=0, description="back-off stops growing here")


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
    """The alerts one new score sets off."""
    out = []
    base = {
        "customer_id": scored.customer_id,
        "score": scored.score,
        "grade": scored.grade,
        "scored_at": scored.at.isoformat(),
    }
    for rule in rules:
        if isinstance(rule, GradeReached):
            before = scored.previous_grade
            if better_or_equal(scored.grade, rule.grade) and (
                before is None or not better_or_equal(before, rule.grade)
            ):
                key = alert_key(rule.name, scored.customer_id, scored.at.value)
                payload = {**base, "previous_grade": before}
                out.append(Alert(key, scored.customer_id, rule.name, payload))
        else:
            lowest = scored.lowest_recent.get(rule.within_days)
            if lowest is not None and scored.score - lowest >= rule.points:
                window = int(scored.at.value // pd.Timedelta(days=rule.within_days).value)
                key = alert_key(rule.name, scored.customer_id, window)
                payload = {**base, "lowest_score": lowest, "within_days": rule.within_days}
                out.append(Alert(key, scored.customer_id, rule.name, payload))
    for alert in out:
        alert.payload.update({"alert_id": alert.key, "rule": alert.rule})
    return out


def event_alerts(
    rules: Sequence[EventOfGradedLead],
    *,
    event_key: str,
    customer_id: str,
    event_type: str,
    ts: pd.Timestamp,
    grade: str | None,
    score: int | None,
) -> list[Alert]:
    """The alerts one event sets off, given its lead's grade as the event came in."""
    out = []
    for rule in rules:
        if event_type == rule.event_type and grade in rule.grades:
            key = alert_key(rule.name, event_key)
            payload = {
                "alert_id": key,
                "rule": rule.name,
                "customer_id": customer_id,
                "event_type": event_type,
                "event_at": ts.isoformat(),
                "grade": grade,
                "score": score,
            }
            out.append(Alert(key, customer_id, rule.name, payload))
    return out
