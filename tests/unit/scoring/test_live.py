"""Known customers scored from the store as of the request: features equal the offline
builder's, scores move with new events, a score is logged only by score_and_log, and a
trend says why."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.data.loading import CanonicalData
from leadscore.decisions.alerts import AlertConfig, EventOfGradedLead, GradeReached, Webhook
from leadscore.features.training_set import build_feature_table
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.rescore import rescore
from leadscore.scoring.scorer import Scorer
from leadscore.scoring.trend import MODEL_UPDATED, NOT_ENOUGH_HISTORY
from leadscore.store.outbox import alert_payload, alert_states
from leadscore.store.score_log import score_history
from tests.conftest import NOW
from tests.unit.live import live_scorer, live_store

T0 = pd.Timestamp("2026-06-20 09:00", tz="UTC")


def test_features_from_the_store_equal_the_offline_builders(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    ids = data.customers["customer_id"].astype(str).iloc[::40].tolist()
    store = live_store(tmp_path, data, ids, NOW)
    scorer = live_scorer(models[0], store)
    online = scorer.records.features_as_of(store.customers(ids), store.rows("events", ids), now=T0)
    online = online.set_index(online["customer_id"].astype(str)).loc[ids].reset_index(drop=True)
    offline = build_feature_table(data, scorer.pure.feature_set, as_of=[T0]).frame
    offline = offline[offline["customer_id"].astype(str).isin(ids)]
    offline = offline.set_index(offline["customer_id"].astype(str)).loc[ids].reset_index(drop=True)
    encoder = scorer.pure.conversion_model.encoder
    # equal but for the order sums are added in (money sums agree to 1e-13 of their size)
    np.testing.assert_allclose(encoder.matrix(online), encoder.matrix(offline), rtol=1e-12)


def test_new_events_move_the_score_and_the_trend_says_why(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[3])
    store = live_store(tmp_path, data, [lead], T0)
    scorer = live_scorer(models[0], store)
    assert rescore(scorer, [lead, "C-NOPE"], now=T0).leads == 1  # it fills the log alone
    first = score_history(store, lead)[0].as_dict()
    [alone] = scorer.score_and_log(["C-NOPE", lead], now=T0 - pd.Timedelta(days=1))[1:]
    assert alone["trend"]["direction"] == NOT_ENOUGH_HISTORY
    visits = pd.DataFrame(
        {
            "customer_id": lead,
            "ts": [T0 + pd.Timedelta(hours=h) for h in (26, 27, 28, 29, 30)],
            "event_type": ["pricing_page_view"] * 4 + ["quote_request"],
            "channel": ["web"] * 4 + ["sales"],
        }
    )
    assert store.append("events", visits, now=T0).added == 5
    later = T0 + pd.Timedelta(days=2)
    [second] = scorer.score_and_log([lead], now=later, lang="de")
    assert second["margin"] != pytest.approx(first["margin"])
    trend = second["trend"]
    assert trend["previous_score"] == first["score"]
    assert trend["days_ago"] == 2
    assert trend["delta"] == second["score"] - first["score"]
    # the changes are exact: they add up to the change of the margin
    total = sum(item["impact"] for item in trend["changes"])
    assert total == pytest.approx(second["margin"] - first["margin"], abs=1e-5)
    sentences = [c["text"] for c in trend["changes"] if c["feature"]]
    assert sentences and all("vor 2 Tagen" in s for s in sentences)
    logged = score_history(store, lead)
    # a score logged only where it says something new: the day before said what the
    # rescore did, or was logged
    said_new = (alone["score"], alone["grade"]) != (first["score"], first["grade"])
    assert [e.origin for e in logged] == ["request", "rescore", "request"][: 2 + said_new]
    assert logged[0].margin == pytest.approx(second["margin"])
    assert sum(logged[0].impacts.values()) + logged[0].base_value == pytest.approx(second["margin"])


def test_a_new_model_has_a_share_of_its_own(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[5])
    store = live_store(tmp_path, data, [lead], T0)
    [before] = live_scorer(models[0], store, "1").score_and_log([lead], now=T0)
    later = T0 + pd.Timedelta(days=3)
    [after] = live_scorer(models[1], store, "2").score_and_log([lead], now=later, lang="en")
    changes = after["trend"]["changes"]
    assert changes[0]["kind"] == MODEL_UPDATED
    assert changes[0]["text"] == "Model updated (version 1 to 2)"
    # the new model's margin on the old features, less the old model's margin
    old = models[1].model.encoder.matrix(pd.DataFrame([score_history(store, lead)[-1].features]))
    assert changes[0]["impact"] == pytest.approx(
        models[1].model.margin(old)[0] - before["margin"], abs=1e-5
    )
    total = sum(item["impact"] for item in changes)
    assert total == pytest.approx(after["margin"] - before["margin"], abs=1e-5)


def test_an_id_the_store_lacks_gets_its_error_item(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[0])
    store = live_store(tmp_path, data, [lead], T0)
    results = live_scorer(models[0], store).score_and_log(
        ["C-NOPE", lead], now=T0, positions=[4, 7]
    )
    assert "leads[4].customer_id: not a customer in the store" in results[0]["error"]
    assert "sqlite" not in results[0]["error"]  # the store's address is the operator's
    assert results[1]["customer_id"] == lead and "score" in results[1]


def test_a_read_writes_nothing_and_only_score_and_log_logs(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[7])
    store = live_store(tmp_path, data, [lead], T0)
    scorer = live_scorer(models[0], store)
    [read] = scorer.score([lead], now=T0)
    assert "score" in read and score_history(store, lead) == []
    [logged] = scorer.score_and_log([lead], now=T0)
    assert {k: v for k, v in logged.items()} == read
    [entry] = score_history(store, lead)
    assert (entry.score, entry.origin) == (read["score"], "request")


def test_scores_and_events_put_alerts_in_the_outbox(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[9])
    store = live_store(tmp_path, data, [lead], T0)
    config = AlertConfig(
        webhook=Webhook(url="http://crm.local/hook"),
        lang="de",
        rules=[
            GradeReached(name="graded", kind="grade_reached", grade="D"),
            EventOfGradedLead(
                name="fair",
                kind="event",
                event_type="trade_fair_visit",
                grades=["A", "B", "C", "D"],
            ),
        ],
    )
    info = ModelInfo("leadscore-conversion", "1", "champion")
    scorer = Scorer.serving(
        models[0], conversion_info=info, store=store, alerts=config
    ).require_live()
    scorer.score_and_log([lead], now=T0)  # its first grade: reached from nothing
    scorer.score_and_log([lead], now=T0 + pd.Timedelta(hours=1))  # graded before: no alert
    scan = pd.DataFrame(
        {
            "customer_id": [lead],
            "ts": [T0 + pd.Timedelta(hours=2)],
            "event_type": ["trade_fair_visit"],
            "channel": ["trade_fair"],
            "campaign": ["Hannover Messe 2026"],
        }
    )
    store.append("events", scan, now=T0)
    later = T0 + pd.Timedelta(hours=3)
    assert scorer.alert_on_events(scan, now=later) == 1
    assert scorer.alert_on_events(scan, now=later) == 0  # the same scan: the same alert
    states = alert_states(store)
    assert [s.rule for s in states] == ["graded", "fair"]
    assert {s.customer_id for s in states} == {lead}
    logged = [(e.score, e.grade) for e in score_history(store, lead)]
    assert 1 <= len(logged) <= 4  # of four scorings, those that said something new
    assert all(a != b for a, b in pairwise(logged))
    # each alert carries the top reasons of the score that set it off, in the rules' lang
    graded, fair = (alert_payload(store, s.key)["data"] for s in states)
    said = scorer.score([lead], now=T0, lang="de", top_k=3)[0]["reasons"]
    assert [r["text"] for r in graded["reasons"]] == [r["text"] for r in said]
    assert said and said != scorer.score([lead], now=T0, lang="en", top_k=3)[0]["reasons"]
    now_said = scorer.score([lead], now=later, lang="de", top_k=3)[0]
    assert [r["text"] for r in fair["reasons"]] == [r["text"] for r in now_said["reasons"]]
    assert fair["campaign"] == "Hannover Messe 2026" and fair["event_type"] == "trade_fair_visit"
    assert fair["trend"] is not None


def test_kept_features_serve_until_something_new_comes_in_or_they_age(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[12])
    store = live_store(tmp_path, data, [lead], T0)
    scorer = live_scorer(models[0], store)
    minute = pd.Timedelta(minutes=1)

    def features_logged(at: pd.Timestamp) -> dict:
        scorer.score_and_log([lead], now=at)
        return score_history(store, lead)[0].features

    first = features_logged(T0)
    assert features_logged(T0 + minute) == first  # kept: nothing new, one minute on
    visit = pd.DataFrame(
        {"customer_id": [lead], "ts": [T0 + minute], "event_type": ["pricing_page_view"]}
    )
    store.append("events", visit, now=T0)
    refreshed_at = T0 + 1.5 * minute  # intake builds them before it acknowledges
    assert scorer.refresh([lead], now=refreshed_at) == 1
    stamp = store.freshness([lead])[lead]
    assert scorer._kept.fresh(lead, stamp, T0 + 2 * minute).as_of == refreshed_at
    after_event = features_logged(T0 + 2 * minute)
    assert after_event != first  # a new event: built again, and it counts
    assert features_logged(T0 + 3 * minute) == after_event
    customer = data.customers[data.customers["customer_id"] == lead]
    industries = scorer.pure.conversion_model.encoder.categories["industry"]
    other = next(i for i in industries if i != after_event["industry"])
    store.put_customers(customer.assign(industry=other), now=T0)
    assert features_logged(T0 + 4 * minute)["industry"] == other  # a new profile: built again
    aged = features_logged(T0 + 4 * minute + scorer.live_ttl + minute)
    # too old: built again, and the clock moved the day counts
    assert {k: v for k, v in aged.items() if k != "industry"} != {
        k: v for k, v in after_event.items() if k != "industry"
    }
    assert len(scorer._kept) == 1


def test_a_known_lead_with_no_events_and_nothing_the_models_read_is_not_scored_nor_logged(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    store = live_store(tmp_path, data, [], T0)
    leads = pd.DataFrame(
        {
            "customer_id": ["BARE", "PICKLIST", "KNOWN"],
            "created_at": [T0, T0, T0],
            # a category the models do not know is nothing known; account_id is not read
            "industry": [None, "Manufacturing", "manufacturing"],
            "account_id": ["A-1", "A-2", "A-3"],
        }
    )
    store.put_customers(leads, now=T0)
    scorer = live_scorer(models[0], store)
    bare, picklist, known = scorer.score_and_log(["BARE", "PICKLIST", "KNOWN"], now=T0)
    for item, customer_id in ((bare, "BARE"), (picklist, "PICKLIST")):
        assert item["customer_id"] == customer_id and item["status"] == "not_enough_data"
        assert "grade" not in item and "score" not in item
        assert "0 profile values the models read and no events, at least 1" in item["message"]
        assert score_history(store, customer_id) == []
    assert known["customer_id"] == "KNOWN" and known["grade"] in "ABCD"
    assert len(score_history(store, "KNOWN")) == 1
    anything = live_scorer(models[0], store, min_information=0)
    assert "grade" in anything.score(["BARE"], now=T0)[0]
