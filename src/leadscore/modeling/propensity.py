"""A calibrated LightGBM propensity model that reads feature tables and single rows alike.

The model keeps its own copy of every categorical feature's levels, so that scoring
encodes categories exactly as training did (an unseen category becomes missing). It is
stored as LightGBM's text format plus a JSON file: nothing pickled, byte-stable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.errors import InputError

BOOSTER_FILE = "booster.txt"
META_FILE = "model.json"


def _floats(column: pd.Series) -> np.ndarray:
    """A numeric column's values for a float array; missing values as NaN."""
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy()  # NaN stays NaN; the float block casts the rest on write
    # nullable (extension) dtypes: pandas' own conversion, which is slower, maps NA to NaN
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class Calibrator:
    """Maps LightGBM's raw margin to a probability: isotonic steps or a Platt sigmoid."""

    kind: str  # "isotonic" or "platt"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        if self.kind == "isotonic":
            return np.interp(margin, self.x, self.y)
        return 1.0 / (1.0 + np.exp(-(self.slope * margin + self.intercept)))

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "x": list(self.x),
            "y": list(self.y),
            "slope": self.slope,
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, raw: dict) -> Calibrator:
        return cls(raw["kind"], tuple(raw["x"]), tuple(raw["y"]), raw["slope"], raw["intercept"])


class FeatureEncoder:
    """Turns feature tables or plain records into LightGBM's float matrix."""

    def __init__(self, features: list[str], categories: dict[str, list[str]]) -> None:
        self.features = features
        self.categories = categories
        self.categorical_index = [i for i, f in enumerate(features) if f in categories]
        self._lookup = {f: {v: i for i, v in enumerate(levels)} for f, levels in categories.items()}

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


@dataclass
class PropensityModel:
    """A booster, its feature encoding and its calibration."""

    booster: lgb.Booster
    encoder: FeatureEncoder
    calibrator: Calibrator
    metadata: dict
    fast: object | None = field(default=None, compare=False, repr=False)

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def use_fast_treeshap(self) -> None:
        """Margins and TreeSHAP values from the compiled explainer from now on: the same
        values, several times faster (see ``treeshap``). Worth it for serving."""
        from leadscore.modeling.treeshap import fast_treeshap

        self.fast = fast_treeshap(self.booster)

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        if self.fast is not None:  # faster than LightGBM's, most of all on a few rows
            return self.fast.margin(matrix)
        return self.booster.predict(matrix, raw_score=True)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrator(self.margin(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Exact TreeSHAP values on the margin: one column per feature, then the base value."""
        if self.fast is not None:
            return self.fast.contributions(matrix)
        return self.booster.predict(matrix, pred_contrib=True)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(directory / BOOSTER_FILE)
        meta = {
            "features": self.encoder.features,
            "categories": self.encoder.categories,
            "calibrator": self.calibrator.to_json(),
            "metadata": self.metadata,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> PropensityModel:
        try:
            meta = json.loads((directory / META_FILE).read_text())
            booster = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise InputError(f"{directory}: not a leadscore model ({exc})") from None
        return cls(
            booster,
            FeatureEncoder(meta["features"], meta["categories"]),
            Calibrator.from_json(meta["calibrator"]),
            meta["metadata"],
        )
