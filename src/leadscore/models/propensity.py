"""A calibrated propensity model (a LightGBM booster, or a logistic regression where a
training job chose the simpler model) that reads feature tables and single rows alike.

Stored as LightGBM's text format (or the linear model's JSON) plus a JSON file: nothing
pickled, byte-stable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import lightgbm as lgb
import numpy as np

from leadscore.common.errors import InputError
from leadscore.models.calibrator import Calibrator
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.linear import LINEAR_FILE, LinearModel

BOOSTER_FILE = "booster.txt"
META_FILE = "model.json"


class Explainer(Protocol):
    """Margins and exact TreeSHAP values of a booster (``leadscore.models.treeshap``)."""

    def margin(self, matrix: np.ndarray) -> np.ndarray: ...

    def contributions(self, matrix: np.ndarray) -> np.ndarray: ...


@dataclass
class PropensityModel:
    """A booster (or linear model), its feature encoding and its calibration."""

    core: lgb.Booster | LinearModel
    encoder: FeatureEncoder
    calibrator: Calibrator
    metadata: dict
    # the compiled explainer of serving copies (``leadscore.scoring.fast_models``): the
    # same margins and TreeSHAP values, several times faster; None: LightGBM's own
    fast: Explainer | None = field(default=None, compare=False, repr=False)

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    @property
    def algorithm(self) -> str:
        return "lightgbm" if isinstance(self.core, lgb.Booster) else "logistic_regression"

    @property
    def booster(self) -> lgb.Booster:
        if not isinstance(self.core, lgb.Booster):
            raise TypeError("this model is a logistic regression, not a LightGBM booster")
        return self.core

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        if self.fast is not None:  # faster than LightGBM's, most of all on a few rows
            return self.fast.margin(matrix)
        if isinstance(self.core, LinearModel):
            return self.core.margin(matrix)
        return self.core.predict(matrix, raw_score=True)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrator(self.margin(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Exact TreeSHAP values on the margin: one column per feature, then the base value."""
        if self.fast is not None:
            return self.fast.contributions(matrix)
        if isinstance(self.core, LinearModel):
            return self.core.contributions(matrix)
        return self.core.predict(matrix, pred_contrib=True)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if isinstance(self.core, LinearModel):
            self.core.save_model(directory / LINEAR_FILE)
        else:
            self.core.save_model(directory / BOOSTER_FILE)
        meta = {
            "features": self.encoder.features,
            "categories": self.encoder.categories,
            "calibrator": self.calibrator.to_json(),
            "metadata": self.metadata,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> PropensityModel:
        core: lgb.Booster | LinearModel
        try:
            meta = json.loads((directory / META_FILE).read_text())
            if (directory / LINEAR_FILE).exists():
                core = LinearModel.load_model(directory / LINEAR_FILE)
            else:
                core = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise InputError(f"{directory}: not a leadscore model ({exc})") from None
        return cls(
            core,
            FeatureEncoder(meta["features"], meta["categories"]),
            Calibrator.from_json(meta["calibrator"]),
            meta["metadata"],
        )
