"""The pure scorer: exact TreeSHAP reasons, readable sentences, and offers ranked and
explained, from feature rows alone."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from leadscore.explain import ReasonWriter, is_absence
from leadscore.models.grades import grade
from leadscore.models.offer_response import ResponseNBOModel
from leadscore.scoring.pure import _descriptions
from leadscore.scoring.scorer import Scorer
from tests.conftest import LearntOffers


def test_impacts_are_exact_treeshap_and_add_up_to_the_margin(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(200).reset_index(drop=True)
    results = scorer.pure.score_frame(rows, lang="en", top_k=1000)
    margins = scorer.pure.conversion.model.margin(scorer.pure.conversion.model.encoder.matrix(rows))
    for result, margin in zip(results, margins, strict=True):
        total = result["base_value"] + sum(r["impact"] for r in result["reasons"])
        assert total == pytest.approx(margin, abs=1e-4)  # impacts are rounded to 6 places
        assert result["margin"] == pytest.approx(margin, abs=1e-9)
        bands = scorer.pure.conversion.bands
        assert result["score"] == bands.score(np.array([margin]), np.zeros(1))[0]
        assert result["grade"] == grade(np.array([result["score"]]), bands.scores)[0]


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
        assert 0 < len(result["reasons"]) <= 5
        for reason in result["reasons"]:
            assert reason["direction"] == ("up" if reason["impact"] > 0 else "down")
            assert reason["feature"] == reason["features"][0]


def _family(feature: str) -> str:
    """A feature's definition: its name without the window (page_views_30d: page_views)."""
    return re.sub(r"_(\d+d|all)$", "", feature)


def test_no_leads_top_reasons_contradict(scorer: Scorer) -> None:
    """A lead's top three never say one fact twice, never name one feature's windows twice
    (30 days up, 90 days down), and never give an absence as a reason for."""
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    writer = scorer.pure.conversion_writer
    for lang in ("de", "en"):
        for result in scorer.pure.score_frame(rows, lang=lang, top_k=3):
            top = result["reasons"]
            assert len({r["text"] for r in top}) == len(top)
            families = [_family(f) for r in top for f in r["features"]]
            assert len(set(families)) == len(families), top
            for reason in top:
                absent = is_absence(writer.description(reason["feature"]), reason["value"])
                assert not (absent and reason["direction"] == "up"), top


def test_reasons_with_equal_sentences_are_one_with_the_parts_impacts(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    matrix = scorer.pure.conversion.model.encoder.matrix(rows)
    contributions = scorer.pure.conversion.model.contributions(matrix)
    names = list(scorer.pure.conversion.model.features)
    merged = 0
    for i, result in enumerate(scorer.pure.score_frame(rows, lang="de", top_k=1000)):
        texts = [r["text"] for r in result["reasons"]]
        assert len(set(texts)) == len(texts)
        for reason in result["reasons"]:
            parts = [contributions[i, names.index(f)] for f in reason["features"]]
            assert reason["impact"] == pytest.approx(sum(parts), abs=1e-6)
            merged += len(parts) > 1
    assert merged > 0  # "Hat noch nie gekauft": purchases ever and the last purchase


def test_top_reasons_are_what_makes_a_lead_stand_out(scorer: Scorer) -> None:
    """Ranked against each feature's typical impact, the leads' first reasons differ more
    than ranked by size alone, where the same busiest features lead for everyone."""
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    model = scorer.pure.conversion.model
    assert model.metadata["typical_impacts"].keys() == set(model.features)
    matrix = model.encoder.matrix(rows)
    contributions = model.contributions(matrix)
    writer = scorer.pure.conversion_writer
    by_size = ReasonWriter(writer.encoder, _descriptions(model))
    standing = writer.reasons(contributions, matrix, top_k=3, lang="en")
    sized = by_size.reasons(contributions, matrix, top_k=3, lang="en")
    distinct = len({tuple(r["feature"] for r in reasons) for reasons in standing})
    distinct_by_size = len({tuple(r["feature"] for r in reasons) for reasons in sized})
    assert distinct > distinct_by_size


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
                parts = [own[nbo.encoder.features.index(f)] for f in reason["features"]]
                assert reason["impact"] == pytest.approx(sum(parts), abs=1e-5)
                checked += 1
    assert differ > 0 and checked > 100


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
