"""The webhook bodies: one typed payload per event type, their JSON schemas, and a
scorer's reasons and trend cut to what an alert carries."""

from __future__ import annotations

import pytest

from leadscore.decisions.alert_payloads import (
    PAYLOADS,
    PingPayload,
    payload_schemas,
    reasons_of,
    trend_of,
)
from leadscore.decisions.alerts import Webhook


def test_every_event_type_has_a_schema_and_the_doubling_settings_are_refused_by_name() -> None:
    schemas = payload_schemas()
    assert set(schemas) == {"lead.grade_reached", "lead.score_rose", "lead.event", "webhook.test"}
    event = schemas["lead.event"]
    assert {"type", "timestamp", "data"} <= set(event["properties"])
    assert "campaign" in event["$defs"]["EventData"]["properties"]
    with pytest.raises(ValueError, match="retry_seconds"):
        Webhook(url="http://crm.local/hook", first_retry_seconds=1)


def test_reasons_and_trends_are_cut_to_what_an_alert_carries() -> None:
    said = [
        {"feature": f"f{i}", "value": i, "impact": 0.1, "direction": "down", "text": f"t{i}"}
        for i in range(5)
    ]
    assert [r.model_dump() for r in reasons_of(said)] == [
        {"feature": f"f{i}", "text": f"t{i}", "direction": "down"} for i in range(3)
    ]
    assert reasons_of(None) == [] and trend_of(None) is None
    trend = trend_of({"previous_score": 3, "days_ago": 2, "delta": 5, "direction": "improving"})
    assert trend is not None and trend.direction == "improving"
    ping = PingPayload.model_validate(
        {"type": "webhook.test", "timestamp": "2026-12-07T10:00:00Z", "data": {"message": "hi"}}
    )
    assert ping.model_dump(mode="json")["timestamp"] == "2026-12-07T10:00:00Z"
    assert set(PAYLOADS) == set(payload_schemas())
