"""Feature tables or plain records as LightGBM's float matrix, and back for people.

The encoder keeps its own copy of every categorical feature's levels, so that scoring
encodes categories exactly as training did (an unseen category becomes missing).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError


def _floats(column: pd.Series) -> np.ndarray:
    """A numeric column's values for a float array; missing values as NaN."""
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy()  # NaN stays NaN; the float block casts the rest on write
    # nullable (extension) dtypes: pandas' own conversion, which is slower, maps NA to NaN
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


# what LightGBM refuses in a feature name (it writes names into JSON), and whitespace
_NOT_IN_LIGHTGBM_NAMES = re.compile(r'[\s"\',:\[\]{}]')


def lightgbm_names(features: list[str]) -> list[str]:
    """Feature names LightGBM accepts, unique, in order: ``Score [raw]`` -> ``Score__raw_``.

    Only the booster sees them; reasons, reports and the encoder keep the original names.
    """
    names: list[str] = []
    taken: set[str] = set()
    for feature in features:
        name = _NOT_IN_LIGHTGBM_NAMES.sub("_", str(feature))
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken.add(candidate)
        names.append(candidate)
    return names


class FeatureEncoder:
    """Turns feature tables or plain records into LightGBM's float matrix."""

    def __init__(self, features: list[str], categories: dict[str, list[str]]) -> None:
        self.features = features
        self.categories = categories
        self.categorical_index = [i for i, f in enumerate(features) if f in categories]
        self._lookup = {f: {v: i for i, v in enumerate(levels)} for f, levels in categories.items()}

    @property
    def lightgbm_names(self) -> list[str]:
        return lightgbm_names(self.features)

    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str]) -> FeatureEncoder:
        categories = {}
        for name in features:
            column = frame[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                categories[name] = [str(c) for c in column.cat.categories]
            elif not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
                column
            ):
                categories[name] = sorted(map(str, column.dropna().unique()))
        return cls(features, categories)

    def matrix(self, frame: pd.DataFrame, *, rows: np.ndarray | None = None) -> np.ndarray:
        """The float matrix of ``frame``, or of its rows at positions ``rows``."""
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise InputError(f"feature table lacks the model's features: {missing[:10]}")
        # one (features, rows) block filled a feature at a time, each write contiguous;
        # its transpose is column-major, which LightGBM reads without a copy
        size = len(frame) if rows is None else len(rows)
        block = np.empty((len(self.features), size), dtype=np.float64)
        for j, name in enumerate(self.features):
            column = frame[name]
            if name in self.categories:
                values = self._codes(column, name)
            elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
                values = _floats(column)
            else:
                values = _floats(pd.to_numeric(column, errors="coerce"))
            block[j] = values if rows is None else values[rows]
        return block.T

    def _codes(self, column: pd.Series, name: str) -> np.ndarray:
        levels = self.categories[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == levels:
            codes = column.cat.codes.to_numpy()
        else:
            text = column.astype("object").where(column.notna(), None)
            codes = pd.Categorical(text, categories=levels).codes
        return np.where(codes >= 0, codes, np.nan)

    def value(self, j: int, encoded: float) -> str | int | float | None:
        """Feature ``j``'s value as a person reads it, back from its encoded form."""
        if np.isnan(encoded):
            return None
        levels = self.categories.get(self.features[j])
        if levels is not None:
            return levels[int(encoded)]
        number = float(encoded)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    def row(self, record: dict) -> np.ndarray:
        """One record (feature name -> value) as a 1 x n matrix, without pandas."""
        out = np.full((1, len(self.features)), np.nan)
        for j, name in enumerate(self.features):
            value = record.get(name)
            if value is None:
                continue
            if name in self.categories:
                code = self._lookup[name].get(str(value))
                out[0, j] = np.nan if code is None else code
            else:
                out[0, j] = float(value)
        return out
