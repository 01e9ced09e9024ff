"""The score log: every score served for a known customer or written by a rescore, with
its exact explanation and the feature values it was worked out from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.database import json_text
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
_JSON_COLUMNS = frozenset(c.name for c in schema.scores.columns if isinstance(c.type, sa.JSON))


def write_scores(store: Store, entries: Sequence[LoggedScore]) -> None:
    if not entries:
        return
    plain = [
        {c: micros(e.scored_at) if c == "scored_at" else getattr(e, c) for c in _COLUMNS}
        for e in entries
    ]
    with store.engine.begin() as connection:
        dialect = connection.dialect
        if dialect.name not in ("sqlite", "postgresql"):  # any other database, the plain way
            for chunk in chunks(plain):
                connection.execute(schema.scores.insert(), chunk)
            return
        # the driver's executemany of JSON written here: binding a rescore's thousands of
        # rows through SQLAlchemy's JSON type took longer than writing them
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        statement = (
            f"INSERT INTO {schema.scores.name} ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(_COLUMNS))})"
        )
        rows = [
            tuple(json_text(r[c]) if c in _JSON_COLUMNS else r[c] for c in _COLUMNS) for r in plain
        ]
        connection.exec_driver_sql(statement, rows)


def _entry(row: sa.Row) -> LoggedScore:
    values = row._asdict()
    values.pop("seq", None)
    values["scored_at"] = from_micros([values["scored_at"]]).iat[0]
    return LoggedScore(**values)


def _newest(columns: Sequence[sa.ColumnElement], *conditions: sa.ColumnElement) -> sa.Select:
    """``columns`` of each customer's newest logged score among those that meet
    ``conditions``; of two at one moment, the later written comes last."""
    table = schema.scores
    newest = (
        sa.select(table.c.customer_id.label("id"), sa.func.max(table.c.scored_at).label("at"))
        .where(*conditions)
        .group_by(table.c.customer_id)
        .subquery()
    )
    return (
        sa.select(*columns)
        .join(newest, (table.c.customer_id == newest.c.id) & (table.c.scored_at == newest.c.at))
        .order_by(table.c.seq)
    )


# built once: a request asks it for one lead (building it took longer than the answer)
_LATEST = _newest(
    [schema.scores],
    schema.scores.c.customer_id.in_(sa.bindparam("ids", expanding=True)),
    schema.scores.c.scored_at <= sa.bindparam("cutoff"),
)


def latest_scores(
    store: Store, customer_ids: Sequence[str], *, at_or_before: pd.Timestamp
) -> dict[str, LoggedScore]:
    """Each customer's newest logged score at or before a moment, where it has one."""
    cutoff = micros(at_or_before)
    found: dict[str, LoggedScore] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            for row in connection.execute(_LATEST, {"ids": chunk, "cutoff": cutoff}):
                entry = _entry(row)
                found[entry.customer_id] = entry
    return found


def current_scores(store: Store, *, at_or_before: pd.Timestamp | None = None) -> pd.DataFrame:
    """Each customer's newest logged score (at or before a moment, where given), without
    its explanation: customer_id, scored_at, score, grade, probability, model_version."""
    table = schema.scores
    columns = ["customer_id", "scored_at", "score", "grade", "probability", "model_version"]
    before = [] if at_or_before is None else [table.c.scored_at <= micros(at_or_before)]
    query = _newest([table.c[c] for c in columns], *before)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame = frame.drop_duplicates("customer_id", keep="last")  # two at one moment: the later
    frame["scored_at"] = from_micros(frame["scored_at"].to_numpy()).array
    return frame.astype({"score": "int64", "probability": "float64"}).reset_index(drop=True)


def logged_between(store: Store, *, since: pd.Timestamp, until: pd.Timestamp) -> pd.DataFrame:
    """Every score logged in [since, until), without its explanation: seq, customer_id,
    scored_at, origin, model_version, probability, score, grade."""
    table = schema.scores
    columns = ["seq", "customer_id", "scored_at", "origin", "model_version", "probability"]
    columns += ["score", "grade"]
    query = sa.select(*(table.c[c] for c in columns)).where(
        table.c.scored_at >= micros(since), table.c.scored_at < micros(until)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).cursor.fetchall()  # type: ignore[union-attr]
    frame = pd.DataFrame(rows, columns=columns)
    frame["scored_at"] = from_micros(frame["scored_at"].to_numpy()).array
    return frame.astype({"seq": "int64", "probability": "float64", "score": "int64"})


def logged_features(store: Store, seqs: Sequence[int]) -> pd.DataFrame:
    """The feature values of the logged scores ``seqs`` (one row each, by seq)."""
    table = schema.scores
    found: list[tuple] = []
    with store.engine.connect() as connection:
        for chunk in chunks(list(seqs)):
            found.extend(
                connection.execute(
                    sa.select(table.c.seq, table.c.features).where(table.c.seq.in_(chunk))
                ).all()
            )
    frame = pd.DataFrame([f for _, f in found], index=[s for s, _ in found])
    return frame.sort_index()


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
