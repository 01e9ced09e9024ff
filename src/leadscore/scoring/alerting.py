"""Alerts set off by scores and events, into the store's outbox (``decisions.alerts`` has
the rules; ``serving.webhooks`` delivers them)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from leadscore.decisions.alerts import Alert, AlertConfig, Scored, event_alerts, score_alerts
from leadscore.store.outbox import enqueue
from leadscore.store.score_log import LoggedScore, latest_grades, lowest_scores
from leadscore.store.store import Store

JUST_BEFORE = pd.Timedelta(microseconds=1)


def alerts_for_scores(
    config: AlertConfig, store: Store, entries: Sequence[LoggedScore], *, now: pd.Timestamp
) -> list[Alert]:
    """The alerts of new scores (not yet in the log), against what the log holds."""
    rules = config.score_rules
    if not rules or not entries:
        return []
    ids = [e.customer_id for e in entries]
    previous = latest_grades(store, ids, at_or_before=now - JUST_BEFORE)
    windows = {r.within_days for r in rules if hasattr(r, "within_days")}
    lowest = {
        days: lowest_scores(store, ids, since=now - pd.Timedelta(days=days)) for days in windows
    }
    alerts = []
    for entry in entries:
        scored = Scored(
            entry.customer_id,
            now,
            entry.score,
            entry.grade,
            previous.get(entry.customer_id),
            {d: low[entry.customer_id] for d, low in lowest.items() if entry.customer_id in low},
        )
        alerts += score_alerts(rules, scored)
    return alerts


def alerts_for_events(
    config: AlertConfig,
    events: pd.DataFrame,
    keys: Sequence[str],
    results: dict[str, dict],
) -> list[Alert]:
    """The alerts of events just taken in, given their leads' results scored right after."""
    rules = [r for r in config.rules if getattr(r, "event_type", None) is not None]
    alerts = []
    for row, key in zip(events.itertuples(index=False), keys, strict=True):
        result = results.get(str(row.customer_id), {})
        alerts += event_alerts(
            rules,  # type: ignore[arg-type]
            event_key=key,
            customer_id=str(row.customer_id),
            event_type=str(row.event_type),
            ts=pd.Timestamp(row.ts),
            grade=result.get("grade"),
            score=result.get("score"),
        )
    return alerts


def to_outbox(store: Store, alerts: Sequence[Alert], *, now: pd.Timestamp) -> int:
    return enqueue(store, [(a.key, a.customer_id, a.rule, a.payload) for a in alerts], now=now)
