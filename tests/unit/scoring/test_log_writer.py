"""Scores into the score log: what is read back is what was written, in the model's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.scoring.encoded import ConversionParts, ModelInfo
from leadscore.scoring.log_writer import ScoreLogWriter
from leadscore.store.score_log import score_history
from leadscore.store.store import Store


def test_logged_scores_read_back_as_written(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    now = pd.Timestamp("2026-06-20 09:00", tz="UTC")
    customers = pd.DataFrame({"customer_id": ["C-1", "C-2"], "created_at": [now, now]})
    store.put_customers(customers, now=now)
    info = ModelInfo("leadscore-conversion", "3", "champion")
    writer = ScoreLogWriter(store, ("visits", "industry"), info)
    contributions = np.array([[0.25, -0.5, -1.0], [0.0, 0.75, -1.0]])  # base value last
    margin = contributions.sum(axis=1)
    parts = ConversionParts(
        contributions, margin, np.array([0.2, 0.45]), np.array([20, 45]), np.array(["C", "B"])
    )
    values = [(3.0, "retail"), (None, "software")]
    alerts = writer.write(["C-1", "C-2"], values, parts, now=now, origin="rescore")
    assert alerts == 0  # no rules, no alerts
    [first] = score_history(store, "C-1")
    assert (first.score, first.grade, first.origin, first.model_version) == (
        20,
        "C",
        "rescore",
        "3",
    )
    assert first.impacts == {"visits": 0.25, "industry": -0.5}
    assert first.features == {"visits": 3.0, "industry": "retail"}
    assert first.margin == pytest.approx(-1.25) and first.base_value == -1.0
    [second] = score_history(store, "C-2")
    assert second.features == {"visits": None, "industry": "software"}


def test_only_scores_that_say_something_new_are_written_where_asked(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    now = pd.Timestamp("2026-06-20 09:00", tz="UTC")
    store.put_customers(pd.DataFrame({"customer_id": ["C-1"], "created_at": [now]}), now=now)
    writer = ScoreLogWriter(store, ("visits",), ModelInfo("leadscore-conversion", "3", "champion"))

    def parts(probability: float) -> ConversionParts:
        contributions = np.array([[0.5, -1.0]])
        return ConversionParts(
            contributions,
            contributions.sum(axis=1),
            np.array([probability]),
            np.array([round(probability * 100)]),
            np.array(["C"]),
        )

    for minute, probability in enumerate([0.2, 0.2, 0.201, 0.3, 0.3]):  # 0.201: score 20
        at = now + pd.Timedelta(minutes=minute)
        writer.write_changed(["C-1"], [(3.0,)], parts(probability), now=at, origin="request")
    assert [e.probability for e in score_history(store, "C-1")] == [0.3, 0.2]  # newest first
    writer.write(["C-1"], [(3.0,)], parts(0.3), now=now + pd.Timedelta(hours=1), origin="rescore")
    assert len(score_history(store, "C-1")) == 3  # a plain write writes what it is given
