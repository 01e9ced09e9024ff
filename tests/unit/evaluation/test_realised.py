from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.evaluation.realised import label_scores, realised, realised_from_flags

NOW = pd.Timestamp("2026-12-01", tz="UTC")
HORIZON = pd.Timedelta(days=30)


def test_a_score_is_labelled_by_an_outcome_within_its_horizon_once_it_passed() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-1", "C-2", "C-3", "C-4"],
            "scored_at": pd.to_datetime(
                ["2026-09-01", "2026-10-15", "2026-09-01", "2026-11-20", "2026-09-01"], utc=True
            ),
        }
    )
    outcomes = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-2", "C-4"],
            "ts": pd.to_datetime(["2026-10-20", "2026-10-15", "2026-09-01"], utc=True),
        }
    )
    labelled = label_scores(scores, outcomes, horizon=HORIZON, now=NOW)
    # C-1's first score: its outcome 49 days later is too late; the second's 5 days later
    # counts; C-2's 44 days later is too late; C-3's horizon has not passed; C-4's outcome
    # at the very moment of the score is not after it
    assert labelled["customer_id"].tolist() == ["C-1", "C-1", "C-2", "C-4"]
    assert labelled["label"].tolist() == [False, True, False, False]


def test_realised_metrics_of_calibrated_scores_and_their_grades() -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    probability = rng.beta(0.8, 5.0, size=n)
    converts = rng.random(n) < probability
    scored_at = NOW - pd.to_timedelta(rng.integers(31, 120, size=n), unit="D")
    scores = pd.DataFrame(
        {
            "customer_id": [f"C-{i}" for i in range(n)],
            "scored_at": scored_at,
            "probability": probability,
            "grade": np.where(probability > 0.3, "A", np.where(probability > 0.1, "B", "D")),
        }
    )
    outcomes = pd.DataFrame(
        {
            "customer_id": scores["customer_id"][converts],
            "ts": scored_at[converts] + pd.Timedelta(days=3),
        }
    )
    found = realised(scores, outcomes, horizon=HORIZON, now=NOW)
    assert found.labelled == n and found.waiting == 0
    assert 0.7 < found.metrics["roc_auc"] < 0.9 and found.metrics["ece"] < 0.02
    grades = found.per_grade.set_index("grade")
    for grade in ("A", "B", "D"):
        assert grades.loc[grade, "converted"] == pytest.approx(
            grades.loc[grade, "promised"], abs=0.02
        )
    assert set(found.per_week.columns) == {"week", "grade", "scores", "converted"}
    assert found.per_week["scores"].sum() == n


def test_without_enough_labels_there_are_no_metrics() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["C-1"],
            "scored_at": pd.to_datetime(["2026-11-25"], utc=True),
            "probability": [0.4],
            "grade": ["A"],
        }
    )
    empty = pd.DataFrame({"customer_id": [], "ts": pd.to_datetime([], utc=True)})
    found = realised(scores, empty, horizon=HORIZON, now=NOW)
    assert found.labelled == 0 and found.waiting == 1 and found.metrics == {}


def test_a_flat_exports_flags_label_its_scores_at_once_and_missing_ones_wait() -> None:
    rng = np.random.default_rng(5)
    n = 4_000
    probability = rng.beta(1.0, 3.0, size=n)
    ids = [f"B-{i}" for i in range(n)]
    converted = pd.array(rng.random(n) < probability, dtype="boolean")
    converted[:100] = pd.NA  # not known yet
    scores = pd.DataFrame(
        {"customer_id": ids, "scored_at": NOW, "probability": probability, "grade": "A"}
    )
    flags = pd.DataFrame({"customer_id": ids, "converted": converted})
    found = realised_from_flags(scores, flags)
    # no horizon to wait for: the export states each outcome
    assert (found.labelled, found.waiting) == (n - 100, 100)
    assert found.scores["label"].sum() == int(converted[100:].sum())
    assert 0.7 < found.metrics["roc_auc"] < 0.85
