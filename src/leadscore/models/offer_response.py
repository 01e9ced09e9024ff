"""How customers respond to offers made: the chance of taking each offer up if it is made,
and of doing the same anyway if it is not; from the two, each offer's expected
incremental value, ``(P(take-up | offered) - P(take-up | not offered)) x value - cost``.
"No offer" is worth 0, so it wins wherever no offer adds value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.models.calibrator import Calibrator
from leadscore.models.nbo import OfferView
from leadscore.models.propensity import PropensityModel


class CalibratedView(OfferView):
    """One offer of a pooled model, with a calibration of its own (fitted on that offer's
    validation rows: a pooled calibration lets one offer's bias tip the ranking)."""

    def __init__(self, pooled: PropensityModel, offer_id: str, calibrator: Calibrator) -> None:
        super().__init__(pooled, offer_id)
        self.calibrator = calibrator


OfferModel = PropensityModel | OfferView


@dataclass(frozen=True)
class OfferResponse:
    """Per offer, the chance of taking it up if made (``taken``, learnt from offers made)
    and anyway (``anyway``, from customers not offered anything at those moments; where
    an offer has no model there, its rate)."""

    offers: pd.DataFrame  # offer_id, kind, value, cost
    taken: dict[str, OfferModel]
    anyway: dict[str, OfferModel]
    anyway_rates: np.ndarray  # per offer; used where ``anyway`` has no model

    @property
    def offer_ids(self) -> list[str]:
        return self.offers["offer_id"].tolist()

    def probabilities(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(with, without): each (rows, offers)."""
        ids = self.offer_ids
        with_offer_made = np.column_stack([self.taken[o].probability(matrix) for o in ids])
        without = np.column_stack(
            [
                self.anyway[o].probability(matrix)
                if o in self.anyway
                else np.full(len(matrix), self.anyway_rates[j])
                for j, o in enumerate(ids)
            ]
        )
        return with_offer_made, without

    def values(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each offer's expected value per row, less its cost: (incremental, over not
        making it; take-up, the value of its take-ups alone), from one prediction."""
        p_with, p_without = self.probabilities(matrix)
        value = self.offers["value"].to_numpy(dtype=float)
        cost = self.offers["cost"].fillna(0).to_numpy(dtype=float)
        return (p_with - p_without) * value - cost, p_with * value - cost
