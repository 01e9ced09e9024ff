from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.evaluation.drift import DriftThresholds, feature_drift, psi


def _frames(rng: np.random.Generator, n: int, *, shift: float, new_channel: bool):
    def one(shifted: float, channels: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "visits_30d": rng.poisson(3 + shifted, size=n).astype(float),
                "revenue": np.where(rng.random(n) < 0.2, np.nan, rng.gamma(2, 100, size=n)),
                "channel": rng.choice(channels, size=n),
            }
        )

    reference = one(0.0, ["web", "email"])
    current = one(shift, ["web", "email", "fair"] if new_channel else ["web", "email"])
    return reference, current


def test_an_unchanged_period_is_not_flagged() -> None:
    reference, current = _frames(np.random.default_rng(0), 50_000, shift=0.0, new_channel=False)
    found = feature_drift(reference, current, categorical={"channel"})
    assert [d.drifted for d in found] == [False, False, False]
    assert all(d.psi < 0.01 for d in found)


def test_a_shift_and_a_new_category_are_found_and_named() -> None:
    reference, current = _frames(np.random.default_rng(1), 50_000, shift=3.0, new_channel=True)
    found = {d.feature: d for d in feature_drift(reference, current, categorical={"channel"})}
    assert found["visits_30d"].drifted and found["visits_30d"].test == "ks"
    assert found["channel"].drifted and found["channel"].new_categories == ("fair",)
    assert not found["revenue"].drifted
    assert list(found)[-1] == "revenue"  # the drifted ones come first


def test_missing_values_are_a_bin_of_their_own() -> None:
    reference = pd.DataFrame({"x": np.arange(10_000, dtype=float)})
    current = reference.copy()
    current.loc[:4_999, "x"] = np.nan  # half the values lost: a drift of its own
    [found] = feature_drift(reference, current, categorical=set())
    assert found.drifted and found.psi > 1


def test_psi_is_zero_for_equal_shares_and_grows_with_the_gap() -> None:
    assert psi(np.array([10, 20, 70]), np.array([1, 2, 7])) == pytest.approx(0.0)
    small = psi(np.array([50, 50]), np.array([55, 45]))
    large = psi(np.array([50, 50]), np.array([80, 20]))
    assert 0 < small < 0.1 < large
    strict = DriftThresholds(psi=0.5)
    reference, current = _frames(np.random.default_rng(2), 20_000, shift=1.0, new_channel=False)
    loose = {d.feature: d.drifted for d in feature_drift(reference, current, categorical=set())}
    tight = {
        d.feature: d.drifted
        for d in feature_drift(reference, current, categorical=set(), thresholds=strict)
    }
    assert sum(tight.values()) <= sum(loose.values())
