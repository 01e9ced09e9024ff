"""Early stopping on Dask: the round LightGBM's own early stopping keeps."""

from __future__ import annotations

from collections.abc import Iterator

import lightgbm as lgb
import numpy as np

from leadscore.training.on_dask import best_round, stop_early


def test_stop_early_keeps_the_round_lightgbms_early_stopping_keeps() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6_000, 5))
    y = rng.random(6_000) < 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1] ** 2)))
    train, valid = slice(0, 4_000), slice(4_000, None)
    params = {"objective": "binary", "learning_rate": 0.2, "num_leaves": 31, "verbosity": -1}
    params |= {"deterministic": True, "num_threads": 1, "min_data_in_leaf": 5}
    stopped = lgb.train(
        params,
        lgb.Dataset(x[train], y[train]),
        num_boost_round=400,
        valid_sets=[lgb.Dataset(x[valid], y[valid])],
        callbacks=[lgb.early_stopping(20, verbose=False)],
    )
    full = lgb.train(params, lgb.Dataset(x[train], y[train]), num_boost_round=400)
    assert stopped.best_iteration < 400  # early stopping did stop: the test means something
    fitted = stop_early(full, x[valid], y[valid], patience=20)
    assert fitted.best_iteration == stopped.best_iteration
    assert fitted.booster.num_trees() == stopped.best_iteration
    np.testing.assert_allclose(
        fitted.validation_margin,
        stopped.predict(x[valid], raw_score=True, num_iteration=stopped.best_iteration),
        atol=1e-9,
    )


def test_best_round_counts_like_lightgbm_and_reads_no_further() -> None:
    def rounds(losses: list[float]) -> Iterator[tuple[float, int]]:
        yield from ((loss, i) for i, loss in enumerate(losses, start=1))

    assert best_round(rounds([3.0, 2.0, 2.5, 2.4, 1.9]), 3) == (5, 5)
    assert best_round(rounds([1.0, 1.0, 1.0]), 5) == (1, 1)
    read = rounds([3.0, 2.0, 2.5, 2.4, 2.1, 1.0, 0.5])
    assert best_round(read, 3) == (2, 2)
    assert next(read) == (1.0, 6)  # stopped after round 5, as LightGBM would
