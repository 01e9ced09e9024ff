"""The calibration a model applies to LightGBM's raw margin: isotonic steps or a sigmoid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import log_loss


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


# the probabilities leadscore reports and scores lie in [PROBABILITY_FLOOR, 1 - FLOOR]
PROBABILITY_FLOOR = 1e-6


def clipped_log_loss(label: np.ndarray, probability: np.ndarray) -> float:
    """Log loss of probabilities kept off 0 and 1 (one confident miss would count as
    infinite): how calibration, evaluation and the gates all compare models."""
    clipped = np.clip(probability, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return float(log_loss(np.asarray(label, dtype=bool), clipped, labels=[False, True]))
