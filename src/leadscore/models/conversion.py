"""The conversion model: probability, score and grade for feature rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.models.grades import GradeBands
from leadscore.models.propensity import PropensityModel


class ConversionPredictor:
    """A calibrated propensity model with the grade bands fixed at training."""

    kind = "conversion"

    def __init__(self, model: PropensityModel) -> None:
        self.model = model
        self.bands = GradeBands.from_metadata(model.metadata)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.model.probability(matrix)

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        margin = self.model.margin(self.model.encoder.matrix(frame))
        probability = self.model.calibrator(margin)
        grades = self.bands.grades(margin, probability)
        scores = self.bands.score(margin, probability)
        return pd.DataFrame({"probability": probability, "score": scores, "grade": grades})

    def save(self, directory: Path) -> None:
        self.model.save(directory)
