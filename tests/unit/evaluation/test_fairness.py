from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from leadscore.evaluation.fairness import (
    FairnessLimits,
    largest_gaps,
    present,
    proxies,
    segment_table,
)


def _leads(rng: np.random.Generator, n: int, *, unfair: bool) -> pd.DataFrame:
    country = rng.choice(["DE", "FR", "AT"], size=n)
    probability = rng.beta(1.0, 6.0, size=n)
    label = rng.random(n) < probability
    if unfair:  # the model promises French leads less than they deliver
        probability = np.where(country == "FR", probability * 0.4, probability)
    grade = np.where(probability > 0.25, "A", np.where(probability > 0.15, "B", "D"))
    return pd.DataFrame(
        {"country": country, "probability": probability, "grade": grade, "label": label}
    )


def test_a_fair_model_shows_no_flagged_gap() -> None:
    leads = _leads(np.random.default_rng(0), 30_000, unfair=False)
    table = segment_table(leads, ["country", "no_such_field"], min_leads=100)
    assert sorted(table["segment"]) == ["AT", "DE", "FR"] and table["comparable"].all()
    gaps = largest_gaps(table, FairnessLimits())
    assert set(gaps["measure"]) == {"share_ab", "auc", "calibration"}
    assert not gaps["flagged"].any(), gaps


def test_a_segment_promised_too_little_is_flagged_and_named() -> None:
    leads = _leads(np.random.default_rng(1), 30_000, unfair=True)
    gaps = largest_gaps(segment_table(leads, ["country"], min_leads=100), FairnessLimits())
    flagged = gaps[gaps["flagged"]].set_index("measure")
    assert {"share_ab", "calibration"} <= set(flagged.index)
    assert flagged.loc["calibration", "high"].startswith("FR")
    assert flagged.loc["share_ab", "low"].startswith("FR")


def test_small_segments_are_listed_not_compared() -> None:
    leads = _leads(np.random.default_rng(2), 1_000, unfair=False)
    leads.loc[:4, "country"] = "LU"
    table = segment_table(leads.drop(columns="label"), ["country"], min_leads=100)
    assert not table.set_index("segment").loc["LU", "comparable"]
    assert table["auc"].isna().all()  # no labels: nothing realised
    assert "LU" not in " ".join(largest_gaps(table, FairnessLimits())[["high", "low"]].stack())


def test_segment_figures_are_those_of_each_segments_own_leads() -> None:
    leads = _leads(np.random.default_rng(4), 3_000, unfair=False)
    leads["industry"] = np.where(np.arange(3_000) % 7 == 0, None, "retail")
    leads.loc[leads["industry"].isna(), "label"] = False  # a segment where none converted
    table = segment_table(leads, ["country", "industry"], min_leads=100).set_index("segment")
    for country, part in leads.groupby("country"):
        row = table.loc[country]
        assert row["leads"] == len(part) and row["field"] == "country"
        assert row["share_ab"] == pytest.approx(part["grade"].isin(["A", "B"]).mean())
        assert row["promised"] == pytest.approx(part["probability"].mean())
        assert row["converted"] == pytest.approx(part["label"].mean())
        assert row["auc"] == pytest.approx(roc_auc_score(part["label"], part["probability"]))
    missing = table.loc["(missing)"]
    assert missing["leads"] == 429 and missing["converted"] == 0 and np.isnan(missing["auc"])


def test_proxies_of_a_protected_field_and_fields_that_must_not_be_features() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    gender = pd.Series(rng.choice(["f", "m"], size=n))
    features = pd.DataFrame(
        {
            "visits": rng.poisson(3, size=n),
            "title_words": np.where(gender == "f", rng.poisson(6, n), rng.poisson(2, n)),
            "industry": np.where(rng.random(n) < 0.9, np.where(gender == "f", "care", "it"), "x"),
        }
    )
    found = proxies(features, gender, categorical={"industry"}, limit=0.65).set_index("feature")
    assert found.loc["title_words", "proxy"] and found.loc["industry", "proxy"]
    assert not found.loc["visits", "proxy"]
    assert found.loc["visits", "auc"] == pytest.approx(0.5, abs=0.03)
    assert present(["gender", "age"], ["visits", "gender"]) == ["gender"]
