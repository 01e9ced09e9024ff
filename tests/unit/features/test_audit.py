"""The leakage audit: one rule for features and post-outcome fields, and the quieter leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.features.audit import (
    ID_ACTION,
    id_features,
    leakage_audit,
    looks_like_an_id,
    single_feature_auc,
)

RNG = np.random.default_rng(7)
N = 2_000
LABEL = RNG.random(N) < 0.3


def _filled_after_contact() -> pd.Series:
    """A number sales records mostly for converted leads: its missingness is the leak."""
    values = pd.Series(RNG.normal(50, 10, N))
    missing = np.where(LABEL, RNG.random(N) < 0.1, RNG.random(N) < 0.8)
    return values.mask(missing)


def test_a_field_measures_the_same_as_feature_and_as_post_outcome() -> None:
    field = _filled_after_contact()
    frame = pd.DataFrame({"asked": field})
    audit = leakage_audit(
        frame, ["asked"], LABEL, post_outcome=pd.DataFrame({"asked_later": field})
    ).set_index("field")
    assert (
        audit.loc["asked", "single_feature_auc"] == audit.loc["asked_later", "single_feature_auc"]
    )
    # missing is placed where it separates best: here above every value, not below
    assert single_feature_auc(field, LABEL) > 0.8


def _strong_category() -> pd.Series:
    """A field sales set during contact: converted leads mostly get one value."""
    return pd.Series(
        np.where(
            LABEL,
            RNG.choice(["SMS", "Email"], N, p=[0.7, 0.3]),
            RNG.choice(["SMS", "Email"], N, p=[0.3, 0.7]),
        )
    ).astype("category")


def test_flags_are_measured_not_read_from_names() -> None:
    frame = pd.DataFrame(
        {
            "budget": _filled_after_contact(),
            "Last Notable Activity": _strong_category(),
            "Lead Quality": pd.Categorical(RNG.choice(["High", "Low", "Might be"], N)),
            "status": pd.Categorical(RNG.choice(["a", "b"], N)),
            "noise": RNG.normal(size=N),
            "source": pd.Categorical(RNG.choice(["web", "fair", "call"], N)),
        }
    )
    audit = leakage_audit(frame, list(frame.columns), LABEL).set_index("field")
    assert "missing in" in audit.loc["budget", "reason"]
    strong = audit.loc["Last Notable Activity"]
    assert 0.65 <= strong["single_feature_auc"] < 0.85
    assert strong["reason"] == (
        f"single-feature AUC {strong['single_feature_auc']:.3f} >= 0.65: strong on its own: "
        "check it is known before the outcome"
    )
    # a name that reads like an outcome flags nothing while the field measures as noise
    for quiet in ("Lead Quality", "status", "noise", "source"):
        assert not audit.loc[quiet, "flagged"], audit.loc[quiet, "reason"]
    assert set(audit.loc[audit["flagged"], "action"]) == {"kept: check how it is recorded"}


def test_a_name_adds_to_a_measured_flag() -> None:
    frame = pd.DataFrame({"Lead Quality": _strong_category()})
    reason = leakage_audit(frame, ["Lead Quality"], LABEL)["reason"].iloc[0]
    assert reason.startswith("single-feature AUC")
    assert reason.endswith("its name or values read like a sales outcome (status, tags, quality)")


def test_above_the_suspicious_level_a_field_may_encode_the_outcome() -> None:
    frame = pd.DataFrame({"stage": pd.Series(np.where(LABEL, "won", "open")).astype("category")})
    reason = leakage_audit(frame, ["stage"], LABEL)["reason"].iloc[0]
    assert reason.startswith("single-feature AUC 1.000 >= 0.85: may encode the outcome")


def test_a_unique_integer_is_an_id_and_dropped() -> None:
    frame = pd.DataFrame(
        {
            "Lead Number": RNG.permutation(N) + 580_000,
            "visits": RNG.poisson(3, N),
            "time on site": RNG.normal(300, 50, N),  # unique, but a measure: no id
            "revenue": RNG.integers(10_000, 50_000_000, N),  # unique integers, but amounts
        }
    )
    audit = leakage_audit(frame, list(frame.columns), LABEL).set_index("field")
    assert audit.loc["Lead Number", "reason"].startswith("looks like an id: not a feature")
    assert audit.loc["Lead Number", "action"] == ID_ACTION
    for measure in ("visits", "time on site", "revenue"):
        assert not audit.loc[measure, "flagged"], audit.loc[measure, "reason"]
    assert id_features(audit.reset_index()) == ["Lead Number"]


def test_an_id_repeats_over_a_leads_snapshots_and_a_changing_count_is_no_id() -> None:
    leads = np.repeat(np.arange(N // 4), 4)  # four snapshots per lead
    frame = pd.DataFrame(
        {
            "customer_id": leads.astype(str),
            "Lead Number": leads * 7 + 1000,  # numbered as the leads came in
            "days since created": np.arange(N),  # unique per row, but it changes per lead
            "as_of": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(leads, unit="h"),
        }
    )
    audit = leakage_audit(frame, ["Lead Number", "days since created"], LABEL)
    assert id_features(audit) == ["Lead Number"]
    assert not looks_like_an_id(pd.Series(np.arange(20)))  # too few leads to tell
    assert not looks_like_an_id(pd.Series(np.arange(N) % 2 == 0))


def test_an_evenly_spread_count_is_no_id_unless_it_follows_the_leads_order() -> None:
    # employees 1-20,000 of 600 leads: nearly all distinct, but measured, not numbered
    employees = pd.Series(RNG.choice(np.arange(1, 20_000), 600, replace=False))
    moments = pd.Series(pd.date_range("2025-01-01", periods=600, freq="h", tz="UTC"))
    assert not looks_like_an_id(employees, moments=moments)
    numbered = pd.Series(np.sort(employees.to_numpy()))  # the same values in arrival order
    assert looks_like_an_id(numbered, moments=moments)
    assert not looks_like_an_id(numbered)  # no moments to tell: kept


def test_only_fields_from_the_record_are_checked_for_strength_and_ids() -> None:
    # events are counted strictly before each moment: a strong count is a good feature
    frame = pd.DataFrame(
        {"pricing_views_30d": _strong_category().cat.codes, "Lead Profile": _strong_category()}
    )
    frame["visit_number"] = RNG.permutation(N)
    audit = leakage_audit(frame, list(frame.columns), LABEL, recorded=["Lead Profile"])
    flagged = audit.loc[audit["flagged"], "field"].tolist()
    assert flagged == ["Lead Profile"]
