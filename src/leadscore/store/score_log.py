"""The score log: every score served for a known customer or written by a rescore, with
its exact explanation and the feature values it was worked out from."""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.database import insert_skipping_held, json_text
from leadscore.store.driver import chunks
from leadscore.store.moments import from_micros, micros
from leadscore.store.store import Store

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
    names: tuple[str, ...]  # the model's features, in its order: the order of the two below
    impact_values: tuple[float, ...]  # each feature's exact TreeSHAP value on the margin
    feature_values: tuple  # the feature values scored

    def __post_init__(self) -> None:
        if not len(self.names) == len(self.impact_values) == len(self.feature_values):
            raise ValueError(
                f"a logged score of {self.customer_id} needs one impact and one value per "
                f"feature name: {len(self.names)} names, {len(self.impact_values)} impacts, "
                f"{len(self.feature_values)} values"
            )

    @property
    def impacts(self) -> dict[str, float]:
        """Each feature's exact TreeSHAP value on the margin, by name."""
        return dict(zip(self.names, self.impact_values, strict=True))

    @property
    def features(self) -> dict[str, object]:
        """The feature values scored, by name."""
        return dict(zip(self.names, self.feature_values, strict=True))

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


def layout_id(names: Sequence[str]) -> str:
    """The key of a layout (feature names in order): the same names, the same key, in any
    store, so a layout read once is known for good."""
    text = json.dumps(list(names), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# layouts by key, as this process read or wrote them: a key stands for its names in any
# store, so what is read once needs no reading again
_LAYOUTS: dict[str, tuple[str, ...]] = {}
# a logged score's columns, in the order write_scores builds its rows in
_COLUMNS = [c.name for c in schema.scores.columns if c.name != "seq"]


@functools.cache
def _impacts_format(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}d")  # float64, little-endian, on any machine


# the layouts each store (by its engine) is known to hold: a store never loses one
# (``Store.clear`` keeps them), so a request's score costs no lookup of its layout
_HELD: weakref.WeakKeyDictionary[sa.Engine, set[str]] = weakref.WeakKeyDictionary()


def _hold_layouts(connection: sa.Connection, layouts: dict[str, tuple[str, ...]]) -> None:
    """Write the layouts the store does not hold yet."""
    table = schema.score_layouts
    new = [key for key in layouts if key not in _HELD.get(connection.engine, ())]
    if not new:
        return
    held = set(connection.scalars(sa.select(table.c.layout_id).where(table.c.layout_id.in_(new))))
    missing = [{"layout_id": k, "names": list(layouts[k])} for k in new if k not in held]
    if missing:
        connection.execute(insert_skipping_held(connection.engine, table, ["layout_id"]), missing)


def write_scores(store: Store, entries: Sequence[LoggedScore]) -> None:
    if not entries:
        return
    keys = {names: layout_id(names) for names in {e.names for e in entries}}
    packs = {names: _impacts_format(len(names)).pack for names in keys}
    moments = {moment: micros(moment) for moment in {e.scored_at for e in entries}}
    rows = [
        (
            e.customer_id,
            moments[e.scored_at],
            e.origin,
            e.model_name,
            e.model_version,
            e.probability,
            e.score,
            e.grade,
            e.margin,
            e.base_value,
            keys[e.names],
            packs[e.names](*e.impact_values),
            json_text(e.feature_values),
        )
        for e in entries
    ]
    layouts = {key: names for names, key in keys.items()}
    with store.engine.begin() as connection:
        _hold_layouts(connection, layouts)
        dialect = connection.dialect
        if dialect.name not in ("sqlite", "postgresql"):  # any other database, the plain way
            for chunk in chunks(rows):
                connection.execute(
                    schema.scores.insert(),
                    [dict(zip(_COLUMNS, r, strict=True)) for r in chunk],
                )
        else:
            # the driver's executemany: binding a rescore's thousands of rows through
            # SQLAlchemy's types took longer than writing them
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            statement = (
                f"INSERT INTO {schema.scores.name} ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join([mark] * len(_COLUMNS))})"
            )
            connection.exec_driver_sql(statement, rows)
    # once committed: a write rolled back leaves none
    _LAYOUTS.update(layouts)
    _HELD.setdefault(store.engine, set()).update(layouts)


def _layouts(connection: sa.Connection, keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The names of layouts by key (read from the store where this process has not yet)."""
    unknown = {k for k in keys if k not in _LAYOUTS}
    if unknown:
        table = schema.score_layouts
        found = connection.execute(
            sa.select(table.c.layout_id, table.c.names).where(table.c.layout_id.in_(unknown))
        ).all()
        _LAYOUTS.update((key, tuple(names)) for key, names in found)
    return _LAYOUTS


def _entries(connection: sa.Connection, rows: Sequence[sa.Row]) -> list[LoggedScore]:
    layouts = _layouts(connection, {row.layout_id for row in rows})
    out = []
    for row in rows:
        values = row._asdict()
        for name in ("seq", "layout_id", "impact_values", "feature_values"):
            values.pop(name)
        values["scored_at"] = from_micros([values["scored_at"]]).iat[0]
        out.append(
            LoggedScore(
                **values,
                names=layouts[row.layout_id],
                impact_values=_impacts_format(len(layouts[row.layout_id])).unpack(
                    row.impact_values
                ),
                feature_values=tuple(row.feature_values),
            )
        )
    return out


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
            rows = connection.execute(_LATEST, {"ids": chunk, "cutoff": cutoff}).all()
            for entry in _entries(connection, rows):
                found[entry.customer_id] = entry
    return found


_LATEST_GRADES = _newest(
    [schema.scores.c.customer_id, schema.scores.c.grade],
    schema.scores.c.customer_id.in_(sa.bindparam("ids", expanding=True)),
    schema.scores.c.scored_at <= sa.bindparam("cutoff"),
)


def latest_grades(
    store: Store, customer_ids: Sequence[str], *, at_or_before: pd.Timestamp
) -> dict[str, str]:
    """Each customer's grade in its newest logged score at or before a moment, where it
    has one (what ``latest_scores`` says, without reading the explanations)."""
    cutoff = micros(at_or_before)
    found: dict[str, str] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            found.update(connection.execute(_LATEST_GRADES, {"ids": chunk, "cutoff": cutoff}).all())
    return found


_NEWEST_SAID = _newest(
    [
        schema.scores.c.customer_id,
        schema.scores.c.model_name,
        schema.scores.c.model_version,
        schema.scores.c.score,
        schema.scores.c.grade,
    ],
    schema.scores.c.customer_id.in_(sa.bindparam("ids", expanding=True)),
)


def newest_said(store: Store, customer_ids: Sequence[str]) -> dict[str, tuple[str, str, int, str]]:
    """Each customer's newest logged score as (model name, version, score, grade), where
    it has one: what a new score is compared with to tell whether it says anything new."""
    found: dict[str, tuple[str, str, int, str]] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            for customer_id, name, version, score, grade in connection.execute(
                _NEWEST_SAID, {"ids": chunk}
            ):
                found[customer_id] = (name, version, int(score), grade)
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
    """The feature values of the logged scores ``seqs`` (one row each, by seq; a feature
    one score's model lacks is missing there)."""
    table = schema.scores
    query = sa.select(table.c.seq, table.c.layout_id, table.c.feature_values)
    by_layout: dict[str, tuple[list[int], list[list]]] = {}
    with store.engine.connect() as connection:
        for chunk in chunks(list(seqs)):
            for seq, key, values in connection.execute(query.where(table.c.seq.in_(chunk))):
                at, rows = by_layout.setdefault(key, ([], []))
                at.append(seq)
                rows.append(values)
        layouts = _layouts(connection, by_layout)
    frames = [
        pd.DataFrame(rows, columns=list(layouts[key]), index=at)
        for key, (at, rows) in by_layout.items()
    ]
    if not frames:
        return pd.DataFrame()
    return (frames[0] if len(frames) == 1 else pd.concat(frames)).sort_index()


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
        return _entries(connection, connection.execute(query).all())


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
