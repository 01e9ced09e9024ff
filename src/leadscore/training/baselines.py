"""The baselines a model must beat: a points score as marketing automation tools keep it,
and a logistic regression on the same features."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler


def points_score(frame: pd.DataFrame, points: dict[str, float], cap: float) -> np.ndarray:
    """Sum of points per unit of each behaviour, each rule capped (lead scoring as usual)."""
    total = np.zeros(len(frame))
    for feature, per_unit in points.items():
        if feature not in frame.columns:
            continue
        values = pd.to_numeric(frame[feature], errors="coerce").fillna(0).to_numpy()
        total += np.minimum(values * per_unit, cap)
    return total


def fit_logistic(matrix: np.ndarray, label: np.ndarray, categorical: list[int]) -> Pipeline:
    """Standardised numbers (signed log1p), one-hot categories, L2-regularised.

    Reads the model's own encoded matrix (categories as codes, missing as NaN): the same
    information as the feature table, without pandas' object columns, which made
    predicting a large test set several times slower.
    """
    numeric = [j for j in range(matrix.shape[1]) if j not in set(categorical)]
    prepare = ColumnTransformer(
        [
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    FunctionTransformer(_signed_log1p),
                    StandardScaler(),
                ),
                numeric,
            ),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                ),
                list(categorical),
            ),
        ]
    )
    model = Pipeline([("prepare", prepare), ("fit", LogisticRegression(C=1.0, max_iter=300))])
    model.fit(matrix, label)
    return model


def predict_logistic(model: Pipeline, matrix: np.ndarray) -> np.ndarray:
    return model.predict_proba(matrix)[:, 1]


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    out = np.log1p(np.abs(values))
    return np.copysign(out, values, out=out)  # in place: one temporary, not three
