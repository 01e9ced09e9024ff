"""The next-best-offer model's rules: eligibility, sales readiness and ranking by expected value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.models.nbo import NBOModel
from leadscore.models.nbo_config import NBOConfig


def _nbo_model() -> NBOModel:
    offers = pd.DataFrame(
        {
            "offer_id": ["P1", "P2", "N1"],
            "name": ["One", "Two", "Guide"],
            "kind": ["product", "product", "nurture"],
            "value": [1000.0, 100.0, 10.0],
        }
    )
    config = NBOConfig.model_validate(
        {
            "owned_features": {"P1": "p1_bought"},
            "contact_cap": 2,
            "contact_feature": "offers_sent_30d",
            "rules": [{"offer_id": "P2", "requires": {"company_size": ["1000+"]}}],
        }
    )
    return NBOModel(offers, {}, {"P1": 0.01, "P2": 0.5, "N1": 0.2}, config, [])


def test_eligibility_owned_rules_cap_and_sales_readiness() -> None:
    model = _nbo_model()
    frame = pd.DataFrame(
        {
            "p1_bought": [0, 1, 0, 0],
            "company_size": ["1000+", "1000+", "1-10", "1000+"],
            "offers_sent_30d": [0, 0, 0, 2],
        }
    )
    mask = model.eligible(frame)
    assert mask.tolist() == [
        [True, True, True],  # nothing owned, big company
        [False, True, True],  # owns P1
        [True, False, True],  # too small for P2
        [False, False, False],  # contact cap reached
    ]
    ready = model.eligible(frame, sales_ready=np.array([True, True, False, False]))
    assert ready[0].tolist() == [True, True, False]  # sales-ready: products only
    assert ready[2].tolist() == [False, False, True]  # not ready: nurture only


def test_offers_rank_by_expected_value() -> None:
    model = _nbo_model()
    propensity = np.array([[0.01, 0.5, 0.2]])
    ranked = model.rank(propensity, np.ones((1, 3), dtype=bool))[0]
    # expected values: P1 10, P2 50, N1 2
    assert [o["offer_id"] for o in ranked] == ["P2", "P1", "N1"]
    assert ranked[0]["expected_value"] == pytest.approx(50.0)


def test_offers_are_named_in_the_readers_language_where_the_catalog_gives_it() -> None:
    model = _nbo_model()
    offers = model.offers.assign(name_de=["Eins", None, " "], name_en=[None, "Two (EN)", None])
    model = NBOModel(offers, {}, model.priors, model.config, [])
    propensity = np.array([[0.01, 0.5, 0.2]])
    eligible = np.ones((1, 3), dtype=bool)
    german = {o["offer_id"]: o["name"] for o in model.rank(propensity, eligible, lang="de")[0]}
    english = {o["offer_id"]: o["name"] for o in model.rank(propensity, eligible, lang="en")[0]}
    assert german == {"P1": "Eins", "P2": "Two", "N1": "Guide"}  # blank: the default name
    assert english == {"P1": "One", "P2": "Two (EN)", "N1": "Guide"}
