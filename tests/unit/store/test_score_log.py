from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import sqlalchemy as sa

from leadscore.store import schema
from leadscore.store.score_log import (
    LoggedScore,
    current_scores,
    latest_grades,
    latest_scores,
    layout_id,
    logged_between,
    logged_features,
    score_history,
    write_scores,
)
from leadscore.store.store import Store


def _entry(customer: str, day: str, score: int, version: str = "1") -> LoggedScore:
    return LoggedScore(
        customer_id=customer,
        scored_at=pd.Timestamp(day, tz="UTC"),
        origin="rescore",
        model_name="leadscore-conversion",
        model_version=version,
        probability=score / 100,
        score=score,
        grade="B",
        margin=0.5,
        base_value=-2.0,
        names=("visits_7d", "industry"),
        impact_values=(1.5, 1.0),
        feature_values=(3.0, "retail"),
    )


LOGGED = [
    _entry("C-1", "2026-11-01", 20),
    _entry("C-1", "2026-11-20", 40),
    _entry("C-1", "2026-11-10", 30),  # a backfill written later
    _entry("C-2", "2026-11-25", 50),
]


def test_the_newest_score_before_a_moment_and_the_history(database: str) -> None:
    store = Store.open(database)
    write_scores(store, LOGGED)
    found = latest_scores(
        store, ["C-1", "C-2", "C-3"], at_or_before=pd.Timestamp("2026-11-15", tz="UTC")
    )
    assert set(found) == {"C-1"}
    assert found["C-1"].score == 30
    assert found["C-1"].features == {"visits_7d": 3.0, "industry": "retail"}
    assert found["C-1"].impacts["visits_7d"] == 1.5
    history = score_history(store, "C-1")
    assert [h.score for h in history] == [40, 30, 20]
    assert history[0].as_dict()["scored_at"] == "2026-11-20T00:00:00+00:00"


def test_current_scores_are_each_leads_newest_without_its_explanation(database: str) -> None:
    store = Store.open(database)
    # two of C-2 at one moment: the later written is its newest
    write_scores(store, [*LOGGED, _entry("C-2", "2026-11-25", 55)])
    now = current_scores(store).set_index("customer_id")
    assert now["score"].to_dict() == {"C-1": 40, "C-2": 55}
    assert list(now.columns) == ["scored_at", "score", "grade", "probability", "model_version"]
    assert now.loc["C-1", "scored_at"] == pd.Timestamp("2026-11-20", tz="UTC")
    week = current_scores(store, at_or_before=pd.Timestamp("2026-11-15", tz="UTC"))
    assert week.set_index("customer_id")["score"].to_dict() == {"C-1": 30}
    assert current_scores(Store.open(database), at_or_before=pd.Timestamp("2020-01-01")).empty


def test_each_layout_is_kept_once_and_scores_read_back_exactly(database: str) -> None:
    store = Store.open(database)
    # a newer model with a feature more, in another order; impacts that float32 or a
    # shortened decimal would change
    newer = dataclasses.replace(
        _entry("C-2", "2026-11-26", 60, version="2"),
        names=("industry", "visits_7d", "web_visits_30d"),
        impact_values=(0.1 + 0.2, -1 / 3, 1e-300),
        feature_values=("retail", None, 12),
    )
    write_scores(store, LOGGED)
    write_scores(store, [newer, _entry("C-3", "2026-11-26", 10)])
    with store.engine.connect() as connection:
        layouts = connection.execute(sa.select(schema.score_layouts)).all()
    assert sorted(key for key, _ in layouts) == sorted(
        [layout_id(("visits_7d", "industry")), layout_id(newer.names)]
    )
    [read] = score_history(store, "C-2", limit=1)
    assert read == newer
    assert read.impacts == {"industry": 0.1 + 0.2, "visits_7d": -1 / 3, "web_visits_30d": 1e-300}
    assert read.features == {"industry": "retail", "visits_7d": None, "web_visits_30d": 12}
    assert score_history(store, "C-1")[-1] == LOGGED[0]


def test_the_feature_values_of_scores_by_two_models_line_up_by_name(database: str) -> None:
    store = Store.open(database)
    newer = dataclasses.replace(
        _entry("C-2", "2026-11-26", 60, version="2"),
        names=("web_visits_30d", "visits_7d"),
        impact_values=(0.5, 0.25),
        feature_values=(7, 1.0),
    )
    write_scores(store, [*LOGGED, newer])
    logged = logged_between(
        store,
        since=pd.Timestamp("2026-11-01", tz="UTC"),
        until=pd.Timestamp("2026-12-01", tz="UTC"),
    )
    seqs = logged.sort_values("scored_at")["seq"].tolist()[-2:]  # C-2 by each model
    features = logged_features(store, seqs)
    assert features.index.tolist() == sorted(seqs)
    rows = features.loc[seqs].to_dict("records")
    assert rows[0]["industry"] == "retail" and pd.isna(rows[0]["web_visits_30d"])
    assert rows[1]["web_visits_30d"] == 7 and pd.isna(rows[1]["industry"])
    assert [r["visits_7d"] for r in rows] == [3.0, 1.0]
    assert logged_features(store, []).empty


def test_a_score_needs_an_impact_and_a_value_for_each_name() -> None:
    with pytest.raises(ValueError, match="2 names, 1 impacts, 2 values"):
        dataclasses.replace(LOGGED[0], impact_values=(1.0,))


def test_the_newest_grade_before_a_moment_is_the_newest_scores(database: str) -> None:
    store = Store.open(database)
    write_scores(store, LOGGED)
    moment = pd.Timestamp("2026-11-15", tz="UTC")
    assert latest_grades(store, ["C-1", "C-2"], at_or_before=moment) == {"C-1": "B"}
    write_scores(store, [dataclasses.replace(LOGGED[2], grade="A")])  # a second at one moment
    assert latest_grades(store, ["C-1", "C-2", "C-1"], at_or_before=moment) == {"C-1": "A"}
    assert latest_scores(store, ["C-1"], at_or_before=moment)["C-1"].grade == "A"


def test_a_layout_reaches_every_store_written_to_and_outlives_a_clear(
    database: str, tmp_path
) -> None:
    store = Store.open(database)
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    write_scores(store, LOGGED[:1])
    write_scores(other, LOGGED[1:2])  # a layout this process wrote elsewhere first
    store.clear()
    assert store.count("scores") == 0
    write_scores(store, LOGGED[3:])
    for written, score in ((other, LOGGED[1]), (store, LOGGED[3])):
        with written.engine.connect() as connection:
            keys = connection.scalars(sa.select(schema.score_layouts.c.layout_id)).all()
        assert keys == [layout_id(score.names)]
        assert score_history(written, score.customer_id)[0] == score
