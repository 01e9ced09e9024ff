"""The servable logistic regression: exact Shapley values, files, unseen and missing values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leadscore.common.errors import InputError
from leadscore.models.linear import CategoryTerm, LinearModel, NumberTerm


def _model() -> LinearModel:
    return LinearModel(
        -1.5,
        (
            NumberTerm(
                median=2.0, mean=0.8, scale=0.5, weight=0.9, missing_weight=-0.4, expected=0.1
            ),
            CategoryTerm(weights=(0.3, -0.2, 0.0, 0.7), expected=0.05),  # 3 levels + missing
            NumberTerm(
                median=0.0, mean=0.0, scale=1.0, weight=-0.25, missing_weight=0.0, expected=0.0
            ),
        ),
    )


def _matrix(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = np.column_stack(
        [rng.exponential(3, rows), rng.integers(0, 3, rows).astype(float), rng.normal(0, 2, rows)]
    )
    matrix[rng.random(rows) < 0.2, 0] = np.nan
    matrix[rng.random(rows) < 0.2, 1] = np.nan
    return matrix


def test_base_value_plus_contributions_is_the_margin() -> None:
    model, matrix = _model(), _matrix(200)
    contributions = model.contributions(matrix)
    np.testing.assert_allclose(contributions.sum(axis=1), model.margin(matrix), rtol=0, atol=1e-12)
    assert np.isfinite(contributions).all()


def test_contributions_are_interventional_shapley_values_against_the_background() -> None:
    """For an additive margin, feature j's Shapley value against a background is the mean
    change of the margin when j alone takes the row's value: computed by brute force here,
    with the expected terms set from the background as training does."""
    draft, background = _model(), _matrix(300, seed=1)
    terms = tuple(
        type(t)(**{**vars(t), "expected": float(t(background[:, j]).mean())})
        for j, t in enumerate(draft.terms)
    )
    model = LinearModel(draft.intercept, terms)
    row = np.array([[7.0, 2.0, -1.0]])
    base = model.margin(background).mean()
    for j in range(3):
        swapped = background.copy()
        swapped[:, j] = row[0, j]
        expected = model.margin(swapped).mean() - base
        assert model.contributions(row)[0, j] == pytest.approx(expected, abs=1e-12)
    assert model.contributions(row)[0, -1] == pytest.approx(base, abs=1e-12)


def test_missing_and_unseen_categories() -> None:
    term = _model().terms[1]
    values = term(np.array([0.0, 1.0, 2.0, np.nan, 3.0, 9.0]))
    # levels 0..2 have weights, missing has its own, levels training never saw weigh nothing
    np.testing.assert_allclose(values, [0.3, -0.2, 0.0, 0.7, 0.0, 0.0])
    number = _model().terms[0]
    assert number(np.array([np.nan]))[0] == pytest.approx(0.9 * (np.log1p(2.0) - 0.8) / 0.5 - 0.4)


def test_files_round_trip_exactly(tmp_path: Path) -> None:
    model, matrix = _model(), _matrix(50)
    model.save_model(tmp_path / "linear.json")
    loaded = LinearModel.load_model(tmp_path / "linear.json")
    assert loaded == model
    np.testing.assert_array_equal(loaded.contributions(matrix), model.contributions(matrix))


def test_a_broken_file_or_wrong_width_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "linear.json"
    path.write_text('{"intercept": 1.0, "terms": [{"number": {"median": 1}}]}')
    with pytest.raises(InputError, match=r"linear\.json: not a leadscore linear model"):
        LinearModel.load_model(path)
    with pytest.raises(InputError, match="reads 3 features; got 2"):
        _model().margin(np.zeros((4, 2)))
