"""The leakage audit: one rule for features and post-outcome fields, and the quieter leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.features.audit import leakage_audit, single_feature_auc

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


def test_quiet_leaks_are_flagged_to_check_how_they_are_recorded() -> None:
    frame = pd.DataFrame(
        {
            "budget": _filled_after_contact(),
            "Lead Quality": pd.Categorical(RNG.choice(["High", "Low", "Might be"], N)),
            "status": pd.Categorical(RNG.choice(["a", "b"], N)),
            "noise": RNG.normal(size=N),
            "source": pd.Categorical(RNG.choice(["web", "fair", "call"], N)),
        }
    )
    audit = leakage_audit(frame, list(frame.columns), LABEL, suspicious_auc=0.95)
    audit = audit.set_index("field")
    assert "missing in" in audit.loc["budget", "reason"]
    assert "sales outcome" in audit.loc["Lead Quality", "reason"]
    assert "sales outcome" in audit.loc["status", "reason"]
    for quiet in ("noise", "source"):
        assert not audit.loc[quiet, "flagged"], audit.loc[quiet, "reason"]
    assert set(audit.loc[audit["flagged"], "action"]) == {"kept: check how it is recorded"}
