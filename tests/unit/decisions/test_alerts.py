from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.alert_payloads import EventPayload, GradeReachedPayload
from leadscore.decisions.alerts import (
    EventOfGradedLead,
    GradeReached,
    Scored,
    ScoreRise,
    event_alerts,
    load_alert_config,
    score_alerts,
)

AT = pd.Timestamp("2026-12-01 10:00", tz="UTC")
TO_A = GradeReached(name="to_a", kind="grade_reached", grade="A")
JUMP = ScoreRise(name="jump", kind="score_rise", points=15, within_days=7)
FAIR = EventOfGradedLead(name="fair", kind="event", event_type="trade_fair_visit")


def _scored(score: int, grade: str, before: str | None, lowest: int | None = None) -> Scored:
    return Scored("C-1", AT, score, grade, before, {} if lowest is None else {7: lowest})


def test_a_grade_alerts_only_when_reached_from_below() -> None:
    [alert] = score_alerts([TO_A], _scored(61, "A", "B"))
    assert alert.rule == "to_a" and alert.payload["type"] == "lead.grade_reached"
    assert alert.payload["data"]["previous_grade"] == "B"
    assert alert.payload["data"]["alert_id"] == alert.key
    assert alert.payload["data"]["rule"] == "to_a" and alert.payload["data"]["reasons"] == []
    assert alert.payload["timestamp"] == "2026-12-01T10:00:00Z"
    GradeReachedPayload.model_validate(alert.payload)
    assert score_alerts([TO_A], _scored(70, "A", "A")) == []  # was A already
    assert score_alerts([TO_A], _scored(40, "B", "C")) == []
    assert len(score_alerts([TO_A], _scored(70, "A", None))) == 1  # its first score
    second = score_alerts([TO_A], _scored(61, "A", "B"))
    assert second[0].key == alert.key  # the same cause, the same key


def test_a_rise_alerts_once_per_window() -> None:
    [alert] = score_alerts([JUMP], _scored(50, "B", "C", lowest=35))
    assert alert.payload["type"] == "lead.score_rose"
    assert alert.payload["data"]["lowest_score"] == 35
    assert score_alerts([JUMP], _scored(49, "B", "C", lowest=35)) == []
    later = Scored("C-1", AT + pd.Timedelta(hours=1), 60, "B", "B", {7: 35})
    assert score_alerts([JUMP], later)[0].key == alert.key  # the same window: one alert
    assert score_alerts([JUMP], _scored(50, "B", None)) == []  # nothing logged to rise from


def test_an_event_alerts_for_leads_of_the_named_grades() -> None:
    found = event_alerts(
        [FAIR],
        event_key="k1",
        customer_id="C-1",
        event_type="trade_fair_visit",
        ts=AT,
        grade="B",
        score=44,
        campaign="Hannover Messe 2026",
        reasons=[
            {"feature": f"f{i}", "text": f"Grund {i}", "direction": "up", "value": i}
            for i in range(5)
        ],
        trend={"previous_score": 40, "days_ago": 3, "delta": 4, "direction": "up", "changes": []},
    )
    assert [a.rule for a in found] == ["fair"]
    data = EventPayload.model_validate(found[0].payload).data
    assert found[0].payload["type"] == "lead.event"
    assert (data.grade, data.score, data.event_type) == ("B", 44, "trade_fair_visit")
    assert data.campaign == "Hannover Messe 2026"  # the fair is named
    assert [r.text for r in data.reasons] == ["Grund 0", "Grund 1", "Grund 2"]  # the top three
    assert data.trend is not None and data.trend.delta == 4
    assert not event_alerts(
        [FAIR],
        event_key="k1",
        customer_id="C-1",
        event_type="trade_fair_visit",
        ts=AT,
        grade="C",
        score=20,
    )
    assert not event_alerts(
        [FAIR], event_key="k1", customer_id="C-1", event_type="call", ts=AT, grade="A", score=80
    )


def test_the_rules_file_is_checked_by_field(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "webhook: {url: 'http://crm.local/hook'}\n"
        "rules:\n"
        "  - {name: a, kind: grade_reached, grade: A}\n"
        "  - {name: b, kind: score_rise, points: 10, within_days: 7}\n"
        "  - {name: c, kind: event, event_type: trade_fair_visit, grades: [A, B]}\n"
    )
    config = load_alert_config(path)
    assert config.event_types == {"trade_fair_visit"} and len(config.score_rules) == 2
    path.write_text(
        "webhook: {url: 'http://crm.local/hook'}\n"
        "rules:\n  - {name: b, kind: score_rise, points: 0, within_days: 7}\n"
    )
    with pytest.raises(InputError, match="points"):
        load_alert_config(path)
    path.write_text(
        "webhook: {url: 'http://crm.local/hook'}\n"
        "rules:\n  - {name: a, kind: grade_reached}\n  - {name: a, kind: grade_reached}\n"
    )
    with pytest.raises(InputError, match="a comes twice"):
        load_alert_config(path)
