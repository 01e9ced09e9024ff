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


def fit_logistic(
    frame: pd.DataFrame, label: np.ndarray, features: list[str], *, max_rows: int, seed: int
) -> Pipeline:
    """Standardised numbers (log1p for counts), one-hot categories, L2-regularised."""
    if len(frame) > max_rows:  # plenty for a linear model; keeps the job's time in check
        chosen = np.sort(np.random.default_rng(seed).choice(len(frame), max_rows, replace=False))
        frame, label = frame.iloc[chosen], label[chosen]
    categorical = [
        f
        for f in features
        if isinstance(frame[f].dtype, pd.CategoricalDtype) or frame[f].dtype == object
    ]
    numeric = [f for f in features if f not in categorical]
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
                    SimpleImputer(
                        strategy="constant", fill_value="(missing)", keep_empty_features=True
                    ),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                ),
                categorical,
            ),
        ]
    )
    model = Pipeline([("prepare", prepare), ("fit", LogisticRegression(C=1.0, max_iter=300))])
    model.fit(_as_objects(frame[features], categorical), label)
    return model


def predict_logistic(model: Pipeline, frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    categorical = model.named_steps["prepare"].transformers_[1][2]
    return model.predict_proba(_as_objects(frame[features], categorical))[:, 1]


def _as_objects(frame: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in categorical:
        out[column] = out[column].astype("object").where(out[column].notna(), "(missing)")
    return out


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    out = np.log1p(np.abs(values))
    return np.copysign(out, values, out=out)  # in place: one temporary, not three
