"""The gates: a challenger must not lose more than the tolerance on its main measure and must
improve the log loss; the verdict says which figures decided."""

from __future__ import annotations

import dataclasses

import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.gate import GateRule, Measures, judge
from leadscore.models.nbo import NBOModel
from leadscore.models.offer_response import ResponseNBOModel
from tests.conftest import LearntOffers

RULE = GateRule("AUC", "log loss", 0.002, True)


def verdict(new: Measures, old: Measures):
    return RULE.verdict(new, old, rows=1234, challenger="2", champion="1")


def test_a_better_challenger_passes_and_the_summary_has_both_models() -> None:
    result = verdict(Measures(0.80, 0.30), Measures(0.79, 0.31))
    assert result.passed and result.reasons == []
    assert result.summary == (
        "on 1,234 test rows: challenger v2 AUC 0.8000, log loss 0.30000; "
        "champion v1 AUC 0.7900, log loss 0.31000"
    )


def test_within_the_tolerance_the_main_measure_may_drop() -> None:
    assert verdict(Measures(0.7985, 0.30), Measures(0.80, 0.31)).passed


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (Measures(0.79, 0.30), "AUC 0.7900 is worse than the champion's 0.8000 by more than 0.002"),
        (Measures(0.80, 0.31), "log loss 0.31000 is not better than the champion's 0.31000"),
    ],
)
def test_a_worse_challenger_is_refused_with_the_reason(new: Measures, reason: str) -> None:
    result = verdict(new, Measures(0.80, 0.31))
    assert not result.passed and result.reasons == [reason]


def test_the_nbo_rule_does_not_name_its_tolerance() -> None:
    rule = GateRule("product MAP@3", "mean log loss", 0.002, False)
    result = rule.verdict(
        Measures(0.5, 0.2), Measures(0.6, 0.1), rows=10, challenger="3", champion="2"
    )
    assert result.reasons == [
        "product MAP@3 0.5000 is worse than the champion's 0.6000",
        "mean log loss 0.20000 is not better than the champion's 0.10000",
    ]


def _backwards(model: ResponseNBOModel) -> ResponseNBOModel:
    """A response that mistakes doing it anyway for taking the offer up: it offers what
    adds least."""
    response = model.response
    swapped = dataclasses.replace(response, taken=response.anyway, anyway=response.taken)
    return ResponseNBOModel.of(swapped, model.config, model.features)


def test_the_offer_value_gate_passes_an_equal_and_refuses_a_worse_challenger(
    learnt: LearntOffers,
) -> None:
    model, test = learnt.evaluation.model, learnt.evaluation.test
    same = judge(
        model, model, test, challenger_version="2", champion_version="1", auc_tolerance=0.002
    )
    assert same.passed and "difference 0.00 [0.00, 0.00]" in same.summary
    assert f"on {len(test):,} test offers made" in same.summary
    worse = judge(
        model,
        _backwards(model),
        test,
        challenger_version="3",
        champion_version="1",
        auc_tolerance=0.002,
    )
    assert not worse.passed
    assert "below the champion's" in worse.reasons[0] and "lies below 0" in worse.reasons[1]
    assert "challenger v3 " in worse.summary and "champion v1 " in worse.summary
    better = judge(
        _backwards(model),
        model,
        test,
        challenger_version="4",
        champion_version="3",
        auc_tolerance=0.002,
    )
    assert better.passed


def test_the_gate_says_what_to_do_when_the_kinds_of_learning_differ(
    learnt: LearntOffers,
) -> None:
    model, test = learnt.evaluation.model, learnt.evaluation.test
    other_offers = ResponseNBOModel.of(
        dataclasses.replace(
            model.response,
            offers=model.offers.iloc[1:].reset_index(drop=True),
            anyway_rates=model.response.anyway_rates[1:],
        ),
        model.config,
        model.features,
    )
    with pytest.raises(InputError, match="same offers"):
        judge(
            other_offers,
            model,
            test,
            challenger_version="2",
            champion_version="1",
            auc_tolerance=0.002,
        )
    classic = NBOModel(model.offers, {}, {}, model.config, model.features)
    with pytest.raises(InputError, match="learn_from: exposures"):
        judge(
            model,
            classic,
            test,
            challenger_version="2",
            champion_version="1",
            auc_tolerance=0.002,
        )
