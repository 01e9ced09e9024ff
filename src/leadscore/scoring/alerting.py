"""Alerts set off by scores and events, into the store's outbox (``decisions.alerts`` has
the rules; ``serving.webhooks`` delivers them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from leadscore.decisions.alerts import (
    Alert,
    AlertConfig,
    Scored,
    add_reasons,
    event_alerts,
    score_alerts,
)
from leadscore.store.outbox import enqueue
from leadscore.store.score_log import LoggedScore, latest_grades, lowest_scores
from leadscore.store.store import Store

JUST_BEFORE = pd.Timedelta(microseconds=1)
# the reasons of logged scores, in the alert rules' language (``PureScorer.logged_reasons``)
LoggedReasons = Callable[[Sequence[LoggedScore]], list[list[dict]]]


def alerts_for_scores(
    config: AlertConfig,
    store: Store,
    entries: Sequence[LoggedScore],
    *,
    now: pd.Timestamp,
    reasons: LoggedReasons | None = None,
) -> list[Alert]:
    """The alerts of new scores (not yet in the log), against what the log holds; with
    ``reasons``, each alert carries its score's (made for the scores that alert alone)."""
    rules = config.score_rules
    if not rules or not entries:
        return []
    ids = [e.customer_id for e in entries]
    previous = latest_grades(store, ids, at_or_before=now - JUST_BEFORE)
    windows = {r.within_days for r in rules if hasattr(r, "within_days")}
    lowest = {
        days: lowest_scores(store, ids, since=now - pd.Timedelta(days=days)) for days in windows
    }
    alerts: list[Alert] = []
    alerting: list[tuple[LoggedScore, list[Alert]]] = []
    for entry in entries:
        scored = Scored(
            entry.customer_id,
            now,
            entry.score,
            entry.grade,
            previous.get(entry.customer_id),
            {d: low[entry.customer_id] for d, low in lowest.items() if entry.customer_id in low},
        )
        made = score_alerts(rules, scored)
        if made:
            alerting.append((entry, made))
            alerts += made
    if reasons is not None and alerting:
        said = reasons([entry for entry, _ in alerting])
        for (_, made), entry_reasons in zip(alerting, said, strict=True):
            for alert in made:
                add_reasons(alert, entry_reasons)
    return alerts


def alerts_for_events(
    config: AlertConfig,
    events: pd.DataFrame,
    keys: Sequence[str],
    results: dict[str, dict],
    *,
    now: pd.Timestamp | None = None,
) -> list[Alert]:
    """The alerts of events just taken in, given their leads' results scored right after
    (their reasons and trends go with the alerts)."""
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
            campaign=_text(getattr(row, "campaign", None)),
            reasons=result.get("reasons"),
            trend=result.get("trend"),
            now=now,
        )
    return alerts


def to_outbox(store: Store, alerts: Sequence[Alert], *, now: pd.Timestamp) -> int:
    return enqueue(store, [(a.key, a.customer_id, a.rule, a.payload) for a in alerts], now=now)


def _text(value: object) -> str | None:
    """A text cell of a frame (a campaign), None where it is missing."""
    return None if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]
