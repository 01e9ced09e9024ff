"""Loading leadscore's own model files, whatever kind of model they hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.errors import InputError
from leadscore.modeling.calibration import grade, score
from leadscore.modeling.propensity import META_FILE, PropensityModel


class ConversionPredictor:
    """A conversion model: probability, score and grade for feature rows."""

    kind = "conversion"

    def __init__(self, model: PropensityModel) -> None:
        self.model = model
        self.bands = model.metadata["grades"]

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.probability(matrix)

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        probability = self.model.probability(self.model.encoder.matrix(frame))
        scores = score(probability)
        return pd.DataFrame(
            {"probability": probability, "score": scores, "grade": grade(scores, self.bands)}
        )

    def save(self, directory: Path) -> None:
        self.model.save(directory)


def load_model_dir(directory: Path):
    """A ConversionPredictor or an NBO model, as written by the training jobs."""
    if (directory / "nbo.json").exists():
        from leadscore.modeling.nbo import NBOModel

        return NBOModel.load(directory)
    if not (directory / META_FILE).exists():
        raise InputError(f"{directory}: no leadscore model files here")
    model = PropensityModel.load(directory)
    kind = model.metadata.get("kind")
    if kind != "conversion":
        raise InputError(f"{directory}: unknown model kind {kind!r}")
    return ConversionPredictor(model)


def read_kind(directory: Path) -> str:
    if (directory / "nbo.json").exists():
        return "nbo"
    return json.loads((directory / META_FILE).read_text())["metadata"]["kind"]
