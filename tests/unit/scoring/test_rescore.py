"""The nightly rescore: batches log what one batch logs, and its scores' alerts reach
the outbox."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.loading import CanonicalData
from leadscore.decisions.alerts import AlertConfig, GradeReached, Webhook
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.rescore import rescore, rescore_store
from leadscore.scoring.scorer import Scorer
from leadscore.store.outbox import alert_states
from leadscore.store.score_log import score_history
from tests.conftest import NOW
from tests.unit.live import live_scorer, live_store

T0 = pd.Timestamp("2026-06-20 09:00", tz="UTC")


def test_a_rescore_puts_the_alerts_of_its_scores_in_the_outbox(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    leads = data.customers["customer_id"].astype(str).iloc[10:16].tolist()
    store = live_store(tmp_path, data, leads, T0)
    config = AlertConfig(
        webhook=Webhook(url="http://crm.local/hook"),
        rules=[GradeReached(name="graded", kind="grade_reached", grade="D")],
    )
    info = ModelInfo("leadscore-conversion", "1", "champion")
    scorer = Scorer.serving(
        models[0], conversion_info=info, store=store, alerts=config
    ).require_live()
    first = rescore(scorer, leads, now=T0, batch_size=4)  # every first grade is reached
    assert (first.leads, first.alerts) == (6, 6)
    again = rescore(scorer, leads, now=T0 + pd.Timedelta(days=1), batch_size=4)
    assert (again.leads, again.alerts) == (6, 0)  # graded before: nothing new
    assert sorted(s.customer_id for s in alert_states(store)) == sorted(leads)


def test_a_rescore_in_batches_logs_what_one_batch_logs(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    ids = data.customers["customer_id"].astype(str).iloc[::150].tolist()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    heard: list[int] = []
    in_batches = live_store(tmp_path / "a", data, ids, NOW)
    done = rescore(
        live_scorer(models[0], in_batches),
        [*ids, "C-NOPE"],
        now=NOW,
        batch_size=3,
        advance=heard.append,
    )
    assert done.leads == len(ids) and sum(heard) == len(ids) + 1 and max(heard) == 3
    at_once = live_store(tmp_path / "b", data, ids, NOW)
    scorer = live_scorer(models[0], at_once)
    assert rescore(scorer, ids, now=NOW, batch_size=1_000).leads == len(ids)
    for lead in ids:
        [left], [right] = score_history(in_batches, lead), score_history(at_once, lead)
        # equal but for the order money sums are added in (the builder's running sums)
        differ = {
            k: (v, right.features[k])
            for k, v in left.features.items()
            if v != right.features[k]
            and not (isinstance(v, float) and v == pytest.approx(right.features[k], rel=1e-12))
        }
        assert differ == {} and left.score == right.score
        assert left.margin == pytest.approx(right.margin, abs=1e-9)


def test_a_rescore_of_the_store_as_of_a_past_moment_leaves_out_leads_not_yet_in(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    customers = data.customers.sort_values("created_at")
    ids = customers["customer_id"].astype(str).iloc[-6:].tolist()
    store = live_store(tmp_path, data, ids, NOW)
    moment = pd.Timestamp(customers["created_at"].iloc[-3])  # the last three came after
    done = rescore_store(live_scorer(models[0], store), now=moment, batch_size=10)
    came_in = customers.iloc[-6:][customers.iloc[-6:]["created_at"] <= moment]
    assert done.leads == len(came_in) and 3 <= done.leads < 6
    assert all(score_history(store, c) == [] for c in ids if c not in set(came_in["customer_id"]))
