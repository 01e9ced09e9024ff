"""Metrics, calibration, grades and splits: small pieces with exact expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import InputError
from leadscore.modeling.calibration import fit_calibrator, grade, grade_thresholds, score
from leadscore.modeling.config import TrainingConfig
from leadscore.modeling.conversion import PartMatrices, fit_booster
from leadscore.modeling.metrics import expected_calibration_error, lift_at, ranking_metrics
from leadscore.modeling.propensity import FeatureEncoder
from leadscore.modeling.splits import stratified_split, time_split


def test_ece_is_zero_for_calibrated_and_large_for_overconfident() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 200_000)
    y = rng.random(len(p)) < p
    assert expected_calibration_error(y, p) < 0.005
    assert expected_calibration_error(y, np.minimum(p * 2, 1)) > 0.05


def test_lift_at_ten_percent() -> None:
    label = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 10, dtype=bool)
    score_ = np.where(label, 1.0, 0.0)
    assert lift_at(label, score_) == pytest.approx(5.0)  # top 10% all positive, base 20%


def test_ranking_metrics_by_hand() -> None:
    metrics = ranking_metrics([{"b"}, {"a", "c"}, set()], [["a", "b", "c"], ["a", "b", "c"], ["a"]])
    assert metrics["rows"] == 2
    assert metrics["hit_rate_at_1"] == pytest.approx(0.5)
    assert metrics["hit_rate_at_3"] == pytest.approx(1.0)
    # AP: row 1 = (1/2)/1; row 2 = (1/1 + 2/3)/2
    assert metrics["map_at_3"] == pytest.approx((0.5 + (1 + 2 / 3) / 2) / 2)


def test_calibrator_fixes_a_distorted_margin() -> None:
    rng = np.random.default_rng(1)
    true_logit = rng.normal(-3, 1, 50_000)
    y = rng.random(len(true_logit)) < 1 / (1 + np.exp(-true_logit))
    margin = 2.5 * true_logit + 4  # over-confident, shifted
    calibrator, losses = fit_calibrator(margin, y, "auto")
    assert set(losses) == {"platt", "isotonic"}
    assert expected_calibration_error(y, calibrator(margin)) < 0.01


def test_grades_are_ordered_bands_holding_the_shares() -> None:
    rng = np.random.default_rng(2)
    p = rng.beta(1, 15, 20_000)
    bands = grade_thresholds(p, {"A": 0.1, "B": 0.2, "C": 0.3})
    assert bands["A"] > bands["B"] > bands["C"] > bands["D"] == 0
    grades = grade(score(p), bands)
    share_a = (grades == "A").mean()
    assert 0.08 <= share_a <= 0.14
    assert set(grades) == {"A", "B", "C", "D"}


def test_time_split_is_ordered_and_purged() -> None:
    dates = pd.Series(
        pd.to_datetime(np.repeat(pd.date_range("2024-01-01", periods=20, freq="28D"), 10), utc=True)
    )
    split = time_split(dates, validation=0.15, test=0.15, horizon_days=30)
    assert dates.iloc[split.train].max() < dates.iloc[split.validation].min()
    assert dates.iloc[split.validation].max() < dates.iloc[split.test].min()
    # no training label window reaches into validation
    gap = dates.iloc[split.validation].min() - dates.iloc[split.train].max()
    assert gap >= pd.Timedelta(days=30)


def test_time_split_refuses_when_a_part_is_empty() -> None:
    dates = pd.Series(pd.to_datetime(["2024-01-01"] * 10 + ["2024-01-15"] * 10, utc=True))
    with pytest.raises(InputError, match="no train rows"):
        time_split(dates, validation=0.15, test=0.15, horizon_days=30)


def test_stratified_split_keeps_the_positive_rate() -> None:
    label = np.arange(1000) % 10 == 0
    split = stratified_split(label, validation=0.1, test=0.2, seed=0)
    assert label[split.test].mean() == pytest.approx(0.1, abs=0.01)
    assert len(set(split.train) & set(split.test)) == 0


def test_validation_scores_kept_from_training_equal_a_fresh_prediction() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6000, 4))
    x[:, 3] = rng.integers(0, 3, 6000)  # a categorical code column
    label = rng.random(6000) < 1 / (1 + np.exp(-(x[:, 0] + 0.5 * x[:, 3] - 2)))
    split = stratified_split(label, validation=0.2, test=0.2, seed=1)
    encoder = FeatureEncoder(["a", "b", "c", "segment"], {"segment": ["x", "y", "z"]})
    config = TrainingConfig(
        model="conversion",
        source="unused",
        lightgbm={"num_boost_round": 200, "early_stopping_rounds": 10, "min_data_in_leaf": 20},
    )
    fitted = fit_booster(PartMatrices.of(x, split), label, split, encoder, config)
    fresh = fitted.booster.predict(x[split.validation], raw_score=True)
    assert fitted.booster.best_iteration < 200  # stopped early: later rounds were dropped
    # ten more trees were grown before stopping; their share of LightGBM's scores was taken
    # off, and the model keeps the best round's trees only (as lgb.train's own result does)
    assert fitted.booster.current_iteration() == fitted.booster.best_iteration
    np.testing.assert_allclose(fitted.validation_margin, fresh, atol=1e-9)
