"""The Scorer: exact TreeSHAP reasons, readable sentences, offers, records and ids alike."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table
from leadscore.jobs.conversion import train_conversion
from leadscore.jobs.inputs import prepare_table
from leadscore.jobs.nbo import train_nbo
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.offer_response import ResponseNBOModel
from leadscore.scoring.batch import score_file
from leadscore.scoring.feature_table import FeatureTable
from leadscore.scoring.scorer import Scorer
from leadscore.serving.contract import LeadError, LeadNotScored, LeadResult, results_json
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from leadscore.training.nbo import offer_labels
from tests.conftest import NOW, REPO, LearntOffers


@pytest.fixture(scope="module")
def scorer(small_crm: GeneratedCRM) -> Scorer:
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=small_crm.directory
    )
    table, _, _ = prepare_table(config, None)
    conversion = ConversionPredictor(train_conversion(table, config).model)
    nbo_config = load_training_config(
        REPO / "training/configs/nbo.yaml", source=small_crm.directory
    )
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    nbo_set = load_feature_set("nbo_v1", directory=REPO / "features")
    nbo_table = build_feature_table(data, nbo_set, horizon_days=30)
    labels = offer_labels(data, nbo_table.frame[["customer_id", "as_of"]], 30, nbo_config.nbo)
    offers = data.offers.astype({"offer_id": "str"})
    nbo = train_nbo(nbo_table, labels, offers, nbo_config).model
    now = build_feature_table(data, nbo_set, as_of=[pd.Timestamp("2026-06-29", tz="UTC")])
    return Scorer.serving(conversion, nbo, feature_table=FeatureTable.from_table(now.frame))


def test_impacts_are_exact_treeshap_and_add_up_to_the_margin(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(200).reset_index(drop=True)
    results = scorer.pure.score_frame(rows, lang="en", top_k=1000)
    margins = scorer.pure.conversion.model.margin(scorer.pure.conversion.model.encoder.matrix(rows))
    for result, margin in zip(results, margins, strict=True):
        total = result["base_value"] + sum(r["impact"] for r in result["reasons"])
        assert total == pytest.approx(margin, abs=1e-4)  # impacts are rounded to 6 places
        assert result["margin"] == pytest.approx(margin, abs=1e-9)
        assert result["score"] == round(result["probability"] * 100)


def test_reasons_read_as_sentences_in_german_and_english(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(50).reset_index(drop=True)
    german = scorer.pure.score_frame(rows, lang="de", top_k=5)
    english = scorer.pure.score_frame(rows, lang="en", top_k=5)
    texts_de = [r["text"] for res in german for r in res["reasons"]]
    texts_en = [r["text"] for res in english for r in res["reasons"]]
    assert texts_de and texts_en
    assert all("{" not in t and "nan" not in t for t in texts_de + texts_en)
    assert any("Tagen" in t or "Branche" in t or "Kontakt" in t for t in texts_de)
    assert any("days" in t or "Industry" in t for t in texts_en)
    for result in german:
        impacts = [abs(r["impact"]) for r in result["reasons"]]
        assert impacts == sorted(impacts, reverse=True) and len(impacts) <= 5
        assert {r["direction"] for r in result["reasons"]} <= {"up", "down"}


def test_offers_follow_grade_and_eligibility(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    results = scorer.pure.score_frame(rows, lang="en", top_k=3)
    ready = set(scorer.pure.nbo.config.sales_ready_grades)
    for row, result in zip(rows.itertuples(), results, strict=True):
        kinds = {o["kind"] for o in result["next_best_offers"]}
        assert kinds <= ({"product"} if result["grade"] in ready else {"nurture"})
        values = [o["expected_value"] for o in result["next_best_offers"]]
        assert values == sorted(values, reverse=True)
        owned = {o for o, f in scorer.pure.nbo.config.owned_features.items() if getattr(row, f) > 0}
        assert not owned & {o["offer_id"] for o in result["next_best_offers"]}
        for offer in result["next_best_offers"]:
            assert offer["reasons"] and len(offer["reasons"]) <= 3
            assert offer["currency"] == "EUR"  # as the catalog states it


def test_offer_propensities_and_values_are_the_pooled_models_own(scorer: Scorer) -> None:
    nbo = scorer.pure.nbo
    assert nbo.pooled is not None  # the configured strategy, explained tree-shared
    booster, offers = nbo.pooled.booster, list(nbo.offers["offer_id"])
    matrix = nbo.encoder.matrix(scorer.table.feature_table.frame.head(100))

    def pairs(rows: np.ndarray, offer_ids: list[str]) -> np.ndarray:
        codes = [nbo.models[o].code for o in offer_ids]
        return np.column_stack([matrix[rows], codes])

    every = np.arange(len(matrix))
    propensity = nbo.propensities(matrix)
    for j, offer in enumerate(offers):
        margin = booster.predict(pairs(every, [offer] * len(every)), raw_score=True)
        np.testing.assert_allclose(propensity[:, j], nbo.pooled.calibrator(margin), atol=1e-12)
    rows = np.repeat(every, 3)
    offer_ids = [offers[k % len(offers)] for k in range(len(rows))]
    values = nbo.offer_contributions(matrix, rows, offer_ids)
    lightgbm = booster.predict(pairs(rows, offer_ids), pred_contrib=True)
    expected = np.delete(lightgbm, -2, axis=1)
    expected[:, -1] += lightgbm[:, -2]  # the offer's own share joins the base value
    np.testing.assert_allclose(values, expected, atol=1e-9)


def test_each_offer_has_reasons_of_its_own_against_the_leads_other_offers(
    scorer: Scorer,
) -> None:
    """An offer's reasons are what makes it more likely than the lead's average offer of
    its kind (exact differences of TreeSHAP values), and never features its kind
    excludes."""
    nbo = scorer.pure.nbo
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    results = scorer.pure.score_frame(rows, lang="en", top_k=3)
    matrix = nbo.encoder.matrix(rows)
    modelled = [o for o in nbo.offers["offer_id"] if o in nbo.models]
    kinds = dict(zip(nbo.offers["offer_id"], nbo.offers["kind"], strict=True))
    mask = nbo.reason_mask("nurture")
    excluded = {f for f, ok in zip(nbo.encoder.features, mask, strict=True) if not ok}
    assert {"days_since_last_purchase", "purchases_all"} <= excluded
    differ, checked = 0, 0
    for i, result in enumerate(results):
        offers = result["next_best_offers"]
        if len(offers) >= 2:
            differ += [r["feature"] for r in offers[0]["reasons"]] != [
                r["feature"] for r in offers[1]["reasons"]
            ]
        every = nbo.offer_contributions(
            matrix, np.full(len(modelled), i), modelled
        )  # this lead with each modelled offer
        for offer in offers:
            if offer["kind"] == "nurture":
                assert not {r["feature"] for r in offer["reasons"]} & excluded
            peers = [j for j, o in enumerate(modelled) if kinds[o] == offer["kind"]]
            own = every[modelled.index(offer["offer_id"])] - every[peers].mean(axis=0)
            for reason in offer["reasons"]:
                j = nbo.encoder.features.index(reason["feature"])
                assert reason["impact"] == pytest.approx(own[j], abs=1e-5)
                checked += 1
    assert differ > 0 and checked > 100


def test_full_record_scores_like_the_same_customer_from_the_store(
    scorer: Scorer, small_crm: GeneratedCRM
) -> None:
    customers = pd.read_parquet(small_crm.directory / "customers.parquet")
    events = pd.read_parquet(small_crm.directory / "events.parquet")
    customer = customers.iloc[3]
    mine = events[events["customer_id"] == customer["customer_id"]]
    profile = {
        c: (None if pd.isna(customer[c]) else str(customer[c]))
        for c in ("industry", "company_size", "country", "lead_source", "account_id")
    }
    record = {
        "customer_id": customer["customer_id"],
        "created_at": customer["created_at"].isoformat(),
        "profile": profile,
        "events": [
            {
                "ts": e.ts.isoformat(),
                "event_type": str(e.event_type),
                "channel": None if pd.isna(e.channel) else str(e.channel),
                "offer_id": None if pd.isna(e.offer_id) else str(e.offer_id),
                "value": None if pd.isna(e.value) else float(e.value),
            }
            for e in mine.itertuples()
        ],
    }
    built = scorer.records.features_for_records([record], now=pd.Timestamp("2026-06-29", tz="UTC"))
    assert built.problems == {} and built.accepted == [0]
    from_record = scorer.pure.score_frame(built.features)[0]
    from_store = scorer.pure.score_frame(
        scorer.table.feature_table.rows([customer["customer_id"]])
    )[0]
    assert from_record["probability"] == pytest.approx(from_store["probability"], rel=1e-9)
    assert from_record["reasons"] == from_store["reasons"]


def test_results_are_what_the_http_contract_declares(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    ids = scorer.table.feature_table.frame.index[:50].tolist()
    for lang in ("de", "en"):
        results = scorer.pure.score_frame(rows, lang=lang, top_k=7) + scorer.table.score_ids(
            ids, lang=lang, top_k=2
        )
        checked = TypeAdapter(list[LeadResult]).validate_python(results, strict=True)
        assert any(r.next_best_offers for r in checked) and all(r.reasons for r in checked)
        written = json.loads(results_json(results))
        assert written == json.loads(TypeAdapter(list[LeadResult]).dump_json(checked))


def test_unknown_customer_is_a_clear_error(scorer: Scorer) -> None:
    with pytest.raises(InputError, match="C-NOPE"):
        scorer.table.feature_table.rows(["C-NOPE"])


def test_unknown_event_types_are_refused_by_name_unless_accepted(scorer: Scorer) -> None:
    events = [
        {"ts": "2026-06-28T10:00:00Z", "event_type": "pricing_page_view"},
        {"ts": "2026-06-28T11:00:00Z", "event_type": "foo_bar"},
    ]
    now = pd.Timestamp("2026-06-29", tz="UTC")
    refused = scorer.records.features_for_records([{"events": events}], now=now)
    assert refused.accepted == [] and refused.features.empty
    assert refused.problems[0].startswith("leads[0].events[1].event_type: 'foo_bar'")
    accepting = Scorer.of(scorer.pure, accept_unknown_event_types=True)
    built = accepting.records.features_for_records([{"events": events}], now=now).features
    assert built["page_views_30d"].iat[0] == 0 and built["pricing_page_views_7d"].iat[0] == 1


def test_one_bad_lead_gets_its_error_item_and_the_others_are_scored(scorer: Scorer) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    known = scorer.table.feature_table.frame.index[0]
    good = {"customer_id": "NEW", "profile": {"industry": "software"}}
    records = [
        good,
        {"customer_id": "X", "profile": {"industry": "Confidential-4711"}},
        {"profile": {"email": "a@b.example"}},
        good,  # the same customer twice is two leads, not a clash
    ]
    items = scorer.records.score_records(records, now=now, positions=[0, 2, 3, 5])
    assert [i.get("customer_id") for i in items] == ["NEW", "X", None, "NEW"]
    assert items[0]["probability"] == items[3]["probability"] and items[0]["warnings"] == []
    assert items[1]["error"].startswith("leads[2].profile.industry: 'Confidential-4711' is not")
    assert items[2]["error"].startswith("leads[3].profile.email: not a profile field")
    lenient = Scorer.of(scorer.pure, lenient_profiles=True)
    (item,) = lenient.records.score_records(records[1:2], now=now)
    assert "probability" in item and "Confidential-4711" in item["warnings"][0]
    ids = scorer.table.score_ids([known, "C-NOPE"], positions=[4, 1])
    assert ids[0]["customer_id"] == known and "probability" in ids[0]
    assert ids[1] == {
        "customer_id": "C-NOPE",
        "error": "leads[1].customer_id: not a customer in the feature table of known "
        "customers; send the full record instead (profile and events)",
    }
    written = json.loads(results_json(items + ids))
    assert TypeAdapter(list[LeadResult | LeadError]).validate_python(written)
    assert written[1] == {"customer_id": "X", "error": items[1]["error"]}


def test_a_record_that_holds_too_little_is_not_scored_and_gets_no_offer(
    scorer: Scorer,
) -> None:
    now = pd.Timestamp("2026-06-29", tz="UTC")
    records = [
        {"customer_id": "EMPTY", "profile": {}},
        {"events": []},
        {"profile": {"industry": None}},  # a form left empty: nothing known
        {"customer_id": "ONE", "profile": {"industry": "software"}},
    ]
    items = scorer.records.score_records(records, now=now)
    assert [i.get("status") for i in items] == ["not_enough_data"] * 3 + [None]
    assert "grade" not in items[0] and "next_best_offers" not in items[0]
    assert "0 profile values and events, at least 1" in items[0]["message"]
    assert items[3]["customer_id"] == "ONE" and items[3]["grade"] in "ABCD"
    written = json.loads(results_json(items))
    assert written[0] == {
        "customer_id": "EMPTY",
        "status": "not_enough_data",
        "message": items[0]["message"],
    }
    TypeAdapter(list[LeadResult | LeadError | LeadNotScored]).validate_python(written)
    demanding = Scorer.of(scorer.pure, min_information=2)
    assert demanding.records.score_records(records[3:], now=now)[0]["status"] == "not_enough_data"
    anything = Scorer.of(scorer.pure, min_information=0)
    assert all("grade" in i for i in anything.records.score_records(records, now=now))


def test_batch_results_carry_as_of_and_a_wrong_table_names_the_fix(
    scorer: Scorer, tmp_path
) -> None:
    rows = scorer.table.feature_table.frame.head(5).reset_index(drop=True)
    out = tmp_path / "scores.jsonl"
    score_file(scorer.pure, rows, out, lang="en", top_k=1, batch_size=2)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["as_of"] for w in written] == ["2026-06-29T00:00:00+00:00"] * 5
    with pytest.raises(InputError, match=r"--feature-set conversion_v1") as caught:
        score_file(
            scorer.pure,
            rows.drop(columns=["page_views_30d"]),
            out,
            lang="en",
            top_k=1,
            batch_size=2,
        )
    assert "page_views_30d" in str(caught.value) and "conversion local" not in str(caught.value)


def test_a_model_learnt_from_offers_made_lists_only_offers_that_add_value(
    learnt: LearntOffers,
) -> None:
    model = learnt.evaluation.model
    frame = learnt.evaluation.test.head(200)
    results = Scorer.serving(None, model).pure.score_frame(frame, lang="de")
    _, incremental = model.expected_values(model.encoder.matrix(frame))
    worth = np.where(model.allowed(frame), incremental, -np.inf)
    ids = model.offers["offer_id"].tolist()
    for i, result in enumerate(results):
        offers = result["next_best_offers"]
        assert len(offers) == min(model.config.max_offers, int((worth[i] > 0).sum()))
        for offer in offers:
            assert offer["expected_value"] == pytest.approx(worth[i, ids.index(offer["offer_id"])])
            assert offer["reasons"] and all(r["text"] for r in offer["reasons"])
    assert sum(bool(r["next_best_offers"]) for r in results) > 100
    names = {o["name"] for r in results for o in r["next_best_offers"]}
    german = set(model.offers["name_de"])  # the synthetic catalog names each offer in German
    assert names and names <= german
    costly = model.offers.assign(cost=model.offers["value"] * 10)
    none_pays = ResponseNBOModel.of(
        dataclasses.replace(model.response, offers=costly), model.config, model.features
    )
    results = Scorer.serving(None, none_pays).pure.score_frame(frame, lang="en")
    assert all(r["next_best_offers"] == [] for r in results)  # "no offer" wins
