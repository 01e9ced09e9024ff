"""The booster trainer: validation margins kept from training equal a fresh prediction."""

from __future__ import annotations

import numpy as np

from leadscore.models.encoding import FeatureEncoder
from leadscore.training.booster import PartMatrices, fit_booster
from leadscore.training.config import TrainingConfig
from leadscore.training.splits import stratified_split


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
