"""Alerts set off by new scores against the score log, and by events, into the outbox."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.decisions.alerts import AlertConfig
from leadscore.scoring.alerting import alerts_for_events, alerts_for_scores, to_outbox
from leadscore.store.outbox import alert_states
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store

NOW = pd.Timestamp("2026-06-29 12:00", tz="UTC")
WEBHOOK = {"url": "https://crm.example.com/hook"}


def _config(*rules: dict) -> AlertConfig:
    return AlertConfig.model_validate({"webhook": WEBHOOK, "rules": list(rules)})


REACHED_B = {"name": "reached_b", "kind": "grade_reached", "grade": "B"}
ROSE_20 = {"name": "rose_20", "kind": "score_rise", "points": 20, "within_days": 7}
DEMO = {"name": "demo_of_a", "kind": "event", "event_type": "demo_request", "grades": ["A"]}


def _logged(customer_id: str, score: int, grade: str, at: pd.Timestamp) -> LoggedScore:
    return LoggedScore(
        customer_id=customer_id,
        scored_at=at,
        origin="request",
        model_name="conversion",
        model_version="1",
        probability=score / 100,
        score=score,
        grade=grade,
        margin=0.0,
        base_value=0.0,
        names=("visits",),
        impact_values=(0.1,),
        feature_values=(3,),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'alerts.db'}")
    write_scores(
        store,
        [
            _logged("was_c", 30, "C", NOW - pd.Timedelta(days=2)),
            _logged("was_b", 60, "B", NOW - pd.Timedelta(days=2)),
            _logged("low_long_ago", 10, "D", NOW - pd.Timedelta(days=30)),
            _logged("low_long_ago", 50, "C", NOW - pd.Timedelta(days=1)),
        ],
    )
    return store


def test_a_grade_reached_alerts_only_a_lead_that_was_below_it(store: Store) -> None:
    new = [
        _logged("was_c", 62, "B", NOW),
        _logged("was_b", 65, "B", NOW),
        _logged("never_scored", 90, "A", NOW),
        _logged("still_c", 35, "C", NOW),
    ]
    alerts = alerts_for_scores(_config(REACHED_B), store, new, now=NOW)
    assert sorted(a.customer_id for a in alerts) == ["never_scored", "was_c"]
    by_customer = {a.customer_id: a for a in alerts}
    assert by_customer["was_c"].payload["data"]["previous_grade"] == "C"
    assert by_customer["never_scored"].payload["data"]["previous_grade"] is None
    assert {a.rule for a in alerts} == {"reached_b"}


def test_a_score_logged_at_the_same_moment_is_not_the_previous_one(store: Store) -> None:
    entry = _logged("was_c", 62, "B", NOW)
    write_scores(store, [entry])  # the new score, logged already
    (alert,) = alerts_for_scores(_config(REACHED_B), store, [entry], now=NOW)
    assert alert.payload["data"]["previous_grade"] == "C"


def test_a_score_rise_counts_from_the_lowest_score_within_its_window(store: Store) -> None:
    new = [_logged("was_c", 55, "C", NOW), _logged("low_long_ago", 65, "B", NOW)]
    alerts = alerts_for_scores(_config(ROSE_20), store, new, now=NOW)
    # was_c rose 25 within the week; low_long_ago 15 since its score a day ago (its 10 is
    # older than the window)
    assert [(a.customer_id, a.payload["data"]["lowest_score"]) for a in alerts] == [("was_c", 30)]


def test_no_score_rules_or_no_new_scores_set_off_nothing(store: Store) -> None:
    assert alerts_for_scores(_config(DEMO), store, [_logged("was_c", 99, "A", NOW)], now=NOW) == []
    assert alerts_for_scores(_config(REACHED_B, ROSE_20), store, [], now=NOW) == []


def test_an_event_alerts_when_its_lead_has_a_listed_grade_as_it_comes_in() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c1", "c3"],
            "event_type": ["demo_request", "demo_request", "visit", "demo_request"],
            "ts": [NOW] * 4,
        }
    )
    results = {"c1": {"grade": "A", "score": 91}, "c2": {"grade": "B", "score": 70}}
    config = _config(REACHED_B, DEMO)
    alerts = alerts_for_events(config, events, ["k1", "k2", "k3", "k4"], results)
    assert [(a.customer_id, a.rule) for a in alerts] == [("c1", "demo_of_a")]
    assert alerts[0].payload["data"]["score"] == 91
    again = alerts_for_events(config, events, ["k1", "k2", "k3", "k4"], results)
    assert again[0].key == alerts[0].key  # the same event sets off the same alert
    other = alerts_for_events(config, events, ["k9", "k2", "k3", "k4"], results)
    assert other[0].key != alerts[0].key


def test_alerts_go_to_the_outbox_once(store: Store) -> None:
    new = [_logged("was_c", 62, "B", NOW), _logged("never_scored", 90, "A", NOW)]
    alerts = alerts_for_scores(_config(REACHED_B), store, new, now=NOW)
    assert to_outbox(store, alerts, now=NOW) == 2
    assert to_outbox(store, alerts, now=NOW) == 0
    states = alert_states(store)
    assert sorted(s.customer_id for s in states) == ["never_scored", "was_c"]
    assert {s.rule for s in states} == {"reached_b"}


def test_reasons_are_made_for_the_scores_that_alert_alone(store: Store) -> None:
    asked: list[list[str]] = []

    def reasons(entries):  # as PureScorer.logged_reasons, in the rules' language
        asked.append([e.customer_id for e in entries])
        return [
            [{"feature": "visits", "text": f"Besuche von {e.customer_id}", "direction": "up"}]
            for e in entries
        ]

    new = [_logged("was_c", 62, "B", NOW), _logged("still_c", 35, "C", NOW)]
    (alert,) = alerts_for_scores(_config(REACHED_B), store, new, now=NOW, reasons=reasons)
    assert asked == [["was_c"]]
    assert alert.payload["data"]["reasons"] == [
        {"feature": "visits", "text": "Besuche von was_c", "direction": "up"}
    ]


def test_an_event_alert_names_its_campaign_and_carries_its_scores_reasons() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["c1", "c1"],
            "event_type": ["demo_request", "demo_request"],
            "ts": [NOW] * 2,
            "campaign": ["Hannover Messe", None],
        }
    )
    said = [{"feature": "visits", "text": "12 Besuche", "direction": "up", "impact": 0.4}]
    results = {"c1": {"grade": "A", "score": 91, "reasons": said}}
    first, second = alerts_for_events(_config(DEMO), events, ["k1", "k2"], results, now=NOW)
    assert first.payload["data"]["campaign"] == "Hannover Messe"
    assert second.payload["data"]["campaign"] is None
    assert first.payload["data"]["reasons"] == [
        {"feature": "visits", "text": "12 Besuche", "direction": "up"}
    ]
