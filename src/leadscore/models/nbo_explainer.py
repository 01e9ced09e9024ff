"""The pooled next-best-offer model explained for many offers of the same leads at once,
with the compiled TreeSHAP (for serving: importing it loads numba)."""

from __future__ import annotations

import numpy as np

from leadscore.models.nbo import offer_share_into_base, with_offer
from leadscore.models.propensity import PropensityModel
from leadscore.models.treeshap import UnsupportedModel, fast_treeshap, reads_feature


class PooledExplainer:
    """The pooled model's margins and TreeSHAP values for several offers of the same leads.

    A tree that never splits on the offer puts a lead in the same leaf whatever the offer,
    so its share of the margin and of the TreeSHAP values is the lead's alone: those trees
    are evaluated once per lead, the others once per (lead, offer). The sums are the
    model's margins and values (TreeSHAP is additive over trees).
    """

    def __init__(self, pooled: PropensityModel) -> None:
        offer = len(pooled.features) - 1  # the offer is the pooled model's last column

        def reads_offer(tree: dict) -> bool:
            return reads_feature(tree, offer)

        shared = fast_treeshap(pooled.booster, keep=lambda tree: not reads_offer(tree))
        by_offer = fast_treeshap(pooled.booster, keep=reads_offer)
        if shared is None or by_offer is None:
            raise UnsupportedModel("the pooled booster needs LightGBM's own TreeSHAP")
        self.shared = shared
        self.by_offer = by_offer

    def margins(self, matrix: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """(leads, offers) raw scores of every lead with every offer code."""
        shared = self.shared.margin(with_offer(matrix, 0.0))  # the offer is not read
        pairs = with_offer(np.repeat(matrix, len(codes), axis=0), np.tile(codes, len(matrix)))
        return shared[:, None] + self.by_offer.margin(pairs).reshape(len(matrix), len(codes))

    def contributions(self, matrix: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """TreeSHAP values of the pairs (lead ``matrix[rows[k]]``, offer ``codes[k]``), in
        the lead's features (see ``offer_share_into_base``)."""
        leads, pair_lead = np.unique(rows, return_inverse=True)
        shared = self.shared.contributions(with_offer(matrix[leads], 0.0))
        values = shared[pair_lead] + self.by_offer.contributions(with_offer(matrix[rows], codes))
        return offer_share_into_base(values)
