from __future__ import annotations

import pandas as pd

from leadscore.store.score_log import (
    LoggedScore,
    current_scores,
    latest_scores,
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
        impacts={"visits_7d": 1.5, "industry": 1.0},
        features={"visits_7d": 3.0, "industry": "retail"},
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
