from __future__ import annotations

import pandas as pd

from leadscore.store.score_log import LoggedScore, latest_scores, score_history, write_scores
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


def test_the_newest_score_before_a_moment_and_the_history(database: str) -> None:
    store = Store.open(database)
    write_scores(
        store,
        [
            _entry("C-1", "2026-11-01", 20),
            _entry("C-1", "2026-11-20", 40),
            _entry("C-1", "2026-11-10", 30),  # a backfill written later
            _entry("C-2", "2026-11-25", 50),
        ],
    )
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
