"""The score log: every score served for a known customer or written by a rescore, with
its exact explanation and the feature values it was worked out from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store, chunks

ORIGINS = ("request", "rescore")


@dataclass(frozen=True)
class LoggedScore:
    """One entry of the score log."""

    customer_id: str
    scored_at: pd.Timestamp
    origin: str
    model_name: str
    model_version: str
    probability: float
    score: int
    grade: str
    margin: float
    base_value: float
    impacts: dict[str, float]  # every feature's exact TreeSHAP value on the margin
    features: dict[str, object]  # the feature values scored

    def as_dict(self) -> dict:
        return {
            "scored_at": self.scored_at.isoformat(),
            "origin": self.origin,
            "model": {"name": self.model_name, "version": self.model_version},
            "probability": self.probability,
            "score": self.score,
            "grade": self.grade,
            "margin": self.margin,
            "base_value": self.base_value,
            "impacts": self.impacts,
            "features": self.features,
        }


_COLUMNS = [c.name for c in schema.scores.columns if c.name != "seq"]


def write_scores(store: Store, entries: Sequence[LoggedScore]) -> None:
    if not entries:
        return
    rows = [
        {
            **{c: getattr(e, c) for c in _COLUMNS if c != "scored_at"},
            "scored_at": micros(e.scored_at),
        }
        for e in entries
    ]
    with store.engine.begin() as connection:
        for chunk in chunks(rows):
            connection.execute(schema.scores.insert(), chunk)


def _entry(row: sa.Row) -> LoggedScore:
    values = row._asdict()
    values.pop("seq", None)
    values["scored_at"] = from_micros([values["scored_at"]]).iat[0]
    return LoggedScore(**values)


def latest_scores(
    store: Store, customer_ids: Sequence[str], *, at_or_before: pd.Timestamp
) -> dict[str, LoggedScore]:
    """Each customer's newest logged score at or before a moment, where it has one."""
    table = schema.scores
    cutoff = micros(at_or_before)
    found: dict[str, LoggedScore] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            newest = (
                sa.select(
                    table.c.customer_id.label("id"), sa.func.max(table.c.scored_at).label("at")
                )
                .where(table.c.customer_id.in_(chunk), table.c.scored_at <= cutoff)
                .group_by(table.c.customer_id)
                .subquery()
            )
            query = (
                sa.select(table)
                .join(
                    newest,
                    (table.c.customer_id == newest.c.id) & (table.c.scored_at == newest.c.at),
                )
                .order_by(table.c.seq)  # of two at one moment, the later written wins
            )
            for row in connection.execute(query):
                entry = _entry(row)
                found[entry.customer_id] = entry
    return found


def score_history(store: Store, customer_id: str, *, limit: int = 100) -> list[LoggedScore]:
    """One customer's logged scores, newest first."""
    table = schema.scores
    query = (
        sa.select(table)
        .where(table.c.customer_id == customer_id)
        .order_by(table.c.scored_at.desc(), table.c.seq.desc())
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [_entry(row) for row in connection.execute(query)]


def lowest_scores(
    store: Store, customer_ids: Sequence[str], *, since: pd.Timestamp
) -> dict[str, int]:
    """Each customer's lowest score logged at or after ``since``, where it has one."""
    table = schema.scores
    query = (
        sa.select(table.c.customer_id, sa.func.min(table.c.score))
        .where(table.c.scored_at >= micros(since))
        .group_by(table.c.customer_id)
    )
    found: dict[str, int] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            found.update(
                (c, int(v))
                for c, v in connection.execute(query.where(table.c.customer_id.in_(chunk)))
            )
    return found
